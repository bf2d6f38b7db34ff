"""SMTP and outreach settings: defaults, and errors that name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.config import load_config
from inbox_crm.errors import ConfigError

MAILBOX = """
[mailboxes.work]
host = "imap.example.com"
username = "Me@Example.com"
password_env = "WORK_PASSWORD"
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "inbox-crm.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_smtp_defaults_come_from_the_mailbox(tmp_path: Path) -> None:
    config = load(
        tmp_path, MAILBOX + '[mailboxes.work.smtp]\nhost = "smtp.example.com"\n'
    )

    smtp = config.mailbox("work").smtp  # type: ignore[attr-defined]
    assert (smtp.port, smtp.security, smtp.auth) == (465, "tls", "auto")
    assert (smtp.username, smtp.password_env) == ("Me@Example.com", "WORK_PASSWORD")
    # The local part is kept as written (RFC 5321 lets it matter), the domain not.
    assert smtp.from_address == "Me@example.com"
    assert (smtp.sent_copy, smtp.sent_folder) == ("append", "\\Sent")


def test_outreach_defaults(tmp_path: Path) -> None:
    outreach = load(tmp_path, MAILBOX).outreach  # type: ignore[attr-defined]

    assert outreach.templates == tmp_path / "templates"
    assert (outreach.max_per_minute, outreach.max_per_hour) == (20, 200)
    assert outreach.stop_on_reply == "contact"


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ('security = "ssl"', "smtp.security", "one of tls, starttls, none"),
        ('security = "none"', "smtp.security", "only for a server on this machine"),
        ('auth = "cram"', "smtp.auth", "one of auto, plain, login"),
        ('auth = "xoauth2"', "smtp.token_command", "required"),
        ("port = 0", "smtp.port", "between 1 and 65535"),
        ('from_address = "me at example"', "smtp.from_address", "not a valid email"),
        ('from_name = "Me\\nBcc: x@y.example"', "smtp.from_name", "one line"),
        ('sent_copy = "both"', "smtp.sent_copy", "one of append, server, none"),
        ('ca_file = "missing.pem"', "smtp.ca_file", "no such file"),
        ('password = "hunter2"', "smtp.password", "never the secret itself"),
    ],
)
def test_bad_smtp_values_name_file_and_key(
    tmp_path: Path, table: str, key: str, message: str
) -> None:
    text = MAILBOX + f'[mailboxes.work.smtp]\nhost = "smtp.example.com"\n{table}\n'

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)

    assert str(caught.value).startswith(f"{tmp_path / 'inbox-crm.toml'}: ")
    assert f"mailboxes.work.{key}" in str(caught.value)
    assert message in str(caught.value)


def test_an_smtp_server_without_a_secret_is_an_error(tmp_path: Path) -> None:
    text = """
[mailboxes.work]
host = "imap.example.com"
username = "me@example.com"
auth = "xoauth2"
token_command = "oauth-token"

[mailboxes.work.smtp]
host = "smtp.example.com"
auth = "plain"
"""
    with pytest.raises(ConfigError, match=r"smtp\.password_env"):
        load(tmp_path, text)


def test_a_local_relay_needs_no_login(tmp_path: Path) -> None:
    text = MAILBOX + (
        '[mailboxes.work.smtp]\nhost = "localhost"\nsecurity = "none"\nauth = "none"\n'
    )

    smtp = load(tmp_path, text).mailbox("work").smtp  # type: ignore[attr-defined]
    assert (smtp.port, smtp.username, smtp.password_env) == (25, None, None)


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ('unsubscribe_url = "http://x.example/u"', "unsubscribe_url", "https://"),
        ('stop_on_reply = "anyone"', "stop_on_reply", "one of contact, company"),
        ("max_per_hour = -1", "max_per_hour", "between 0 and"),
        ('mailbox = "home"', "mailbox", "no mailbox named 'home'"),
        ("max_attempts = 0", "max_attempts", "between 1 and 100"),
        ("color = 1", "color", "unknown key"),
    ],
)
def test_bad_outreach_values_name_the_key(
    tmp_path: Path, line: str, key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, MAILBOX + f"[outreach]\n{line}\n")

    assert f"outreach.{key}" in str(caught.value)
    assert message in str(caught.value)
