"""Configuration: defaults, validation errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.config import load_config
from inbox_crm.errors import ConfigError

GOOD = """
[mailboxes.work]
host = "imap.example.com"
username = "Me@Example.com"
password_env = "WORK_PASSWORD"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inbox-crm.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_a_minimal_mailbox(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))

    mailbox = config.mailbox("work")
    assert mailbox.port == 993
    assert mailbox.security == "tls"
    assert mailbox.folders == ("INBOX", "\\Sent")
    assert mailbox.addresses == ("me@example.com",)
    expected_db = (tmp_path / "inbox-crm.db").resolve()
    assert config.database_url == f"sqlite:///{expected_db}"


def test_starttls_defaults_to_port_143(tmp_path: Path) -> None:
    text = GOOD + 'security = "starttls"\n'
    assert load_config(write(tmp_path, text)).mailbox("work").port == 143


@pytest.mark.parametrize(
    ("extra", "key", "hint"),
    [
        ('colour = "red"\n', "mailboxes.work.colour", "allowed:"),
        ('password = "hunter2"\n', "mailboxes.work.password", "password_env"),
        ('security = "ssl"\n', "mailboxes.work.security", "tls, starttls, none"),
        ("port = 70000\n", "mailboxes.work.port", "between 1 and 65535"),
        ('auth = "cram"\n', "mailboxes.work.auth", "login, plain, xoauth2"),
        ('folders = "INBOX"\n', "mailboxes.work.folders", "list"),
        ("folders = []\n", "mailboxes.work.folders", "names no folder"),
        ('addresses = ["maya"]\n', "mailboxes.work.addresses", "not an email"),
        (
            'password_command = "pass show work"\n',
            "mailboxes.work.password_command",
            "not both",
        ),
    ],
)
def test_bad_value_names_file_key_and_what_is_allowed(
    tmp_path: Path, extra: str, key: str, hint: str
) -> None:
    path = write(tmp_path, GOOD + extra)

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert hint in message


def test_agent_settings_default_when_the_table_is_absent(tmp_path: Path) -> None:
    agent = load_config(write(tmp_path, GOOD)).agent

    assert agent.idle is True
    assert (agent.poll_interval, agent.idle_renewal) == (300, 600)
    assert (agent.lease_duration, agent.reconnect_delay_max) == (120, 300)
    assert agent.shutdown_timeout == 30
    assert (agent.sweep_interval, agent.outbox_interval) == (300, 30)


def test_agent_settings_are_read(tmp_path: Path) -> None:
    text = GOOD + "[agent]\nidle = false\npoll_interval = 5\nlease_duration = 10\n"

    agent = load_config(write(tmp_path, text)).agent

    assert (agent.idle, agent.poll_interval, agent.lease_duration) == (False, 5, 10)


@pytest.mark.parametrize(
    ("line", "key", "hint"),
    [
        ("poll_interval = 0", "agent.poll_interval", "between 1 and 86400"),
        ("idle_renewal = 1800", "agent.idle_renewal", "between 1 and 1740"),
        ("lease_duration = 1", "agent.lease_duration", "between 3 and 3600"),
        ('idle = "yes"', "agent.idle", "true or false"),
        ("poll_interval = 1.5", "agent.poll_interval", "whole number"),
        ("poll = 60", "agent.poll", "allowed: idle, idle_renewal"),
        ("sweep_interval = 0", "agent.sweep_interval", "between 1 and 86400"),
        ("outbox_interval = 7200", "agent.outbox_interval", "between 1 and 3600"),
    ],
)
def test_bad_agent_setting_names_file_key_and_what_is_allowed(
    tmp_path: Path, line: str, key: str, hint: str
) -> None:
    path = write(tmp_path, f"{GOOD}[agent]\n{line}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    message = str(caught.value)
    assert str(path) in message
    assert key in message
    assert hint in message


def test_plain_imap_refused_off_loopback_unless_forced(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="security"):
        load_config(write(tmp_path, GOOD + 'security = "none"\n'))

    forced = GOOD + 'security = "none"\nallow_insecure = true\n'
    assert load_config(write(tmp_path, forced)).mailbox("work").security == "none"


@pytest.mark.parametrize("host", ["127.0.0.2", "::1", "[::1]", "LOCALHOST"])
def test_every_loopback_form_counts_as_loopback(tmp_path: Path, host: str) -> None:
    text = GOOD.replace("imap.example.com", host) + 'security = "none"\n'

    assert load_config(write(tmp_path, text)).mailbox("work").security == "none"


def test_plain_imap_allowed_on_loopback(tmp_path: Path) -> None:
    text = GOOD.replace("imap.example.com", "127.0.0.1") + 'security = "none"\n'
    assert load_config(write(tmp_path, text)).mailbox("work").port == 143


def test_missing_secret_source_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace('password_env = "WORK_PASSWORD"\n', "")
    with pytest.raises(ConfigError, match="password_env"):
        load_config(write(tmp_path, text))


def test_xoauth2_needs_a_token_command(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="token_command"):
        load_config(write(tmp_path, GOOD + 'auth = "xoauth2"\n'))


def test_unknown_top_level_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="databse"):
        load_config(write(tmp_path, "[databse]\nurl = 'sqlite://'\n"))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[mailboxes.work\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="inbox-crm init"):
        load_config(tmp_path / "absent.toml")


def test_missing_ca_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ca_file"):
        load_config(write(tmp_path, GOOD + 'ca_file = "nope.pem"\n'))


def test_unknown_mailbox_lists_the_configured_ones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="configured: work"):
        config.mailbox("home")


def test_starter_config_is_valid(tmp_path: Path) -> None:
    from importlib import resources

    starter = resources.files("inbox_crm") / "starter" / "inbox-crm.toml"
    config = load_config(write(tmp_path, starter.read_text(encoding="utf-8")))
    assert list(config.mailboxes) == ["work"]


def test_linking_defaults(tmp_path: Path) -> None:
    linking = load_config(write(tmp_path, GOOD)).linking

    assert (linking.fold_plus_tags, linking.fuzzy_threshold) == (True, 97)
    assert (linking.create_contacts, linking.create_companies) == ("personal", "auto")


def test_linking_settings_are_read(tmp_path: Path) -> None:
    text = GOOD + (
        "[linking]\n"
        "fold_plus_tags = false\n"
        "fuzzy_threshold = 99\n"
        "review_threshold = 85\n"
        'own_domains = ["Agency.Example"]\n'
        'free_mail_domains = ["mail.isp.example"]\n'
        'role_addresses = ["Accounts-Payable"]\n'
        'create_contacts = "written"\n'
        'create_companies = "never"\n'
    )

    linking = load_config(write(tmp_path, text)).linking

    assert linking.fold_plus_tags is False
    assert (linking.fuzzy_threshold, linking.review_threshold) == (99, 85)
    assert linking.own_domains == ("agency.example",)
    assert linking.free_mail_domains == ("mail.isp.example",)
    assert linking.role_addresses == ("accounts-payable",)
    assert (linking.create_contacts, linking.create_companies) == ("written", "never")


@pytest.mark.parametrize(
    ("extra", "key", "hint"),
    [
        ("colour = 1\n", "linking.colour", "allowed:"),
        ('create_contacts = "all"\n', "linking.create_contacts", "personal, written"),
        ('create_companies = "yes"\n', "linking.create_companies", "auto, never"),
        ("fuzzy_threshold = 0.9\n", "linking.fuzzy_threshold", "whole number"),
        ("fuzzy_threshold = 101\n", "linking.fuzzy_threshold", "between 50 and 100"),
        ("review_threshold = 99\n", "linking.review_threshold", "not be above"),
        ('fold_plus_tags = "yes"\n', "linking.fold_plus_tags", "true or false"),
        ('own_domains = ["me@agency.example"]\n', "linking.own_domains", "domain"),
        (
            'role_addresses = ["x@y.example"]\n',
            "linking.role_addresses",
            "before the @",
        ),
    ],
)
def test_bad_linking_value_names_file_key_and_what_is_allowed(
    tmp_path: Path, extra: str, key: str, hint: str
) -> None:
    path = write(tmp_path, GOOD + "[linking]\n" + extra)

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert str(path) in str(caught.value)
    assert key in str(caught.value)
    assert hint in str(caught.value)


USER = """
[users.maya]
email = "Maya@Agency.example"
mailboxes = ["work"]
timezone = "Europe/Lisbon"
"""


def test_a_user_with_an_address_gets_a_digest_at_eight_by_default(
    tmp_path: Path,
) -> None:
    from datetime import time

    digest = load_config(write(tmp_path, GOOD + USER)).user("maya").digest

    assert (digest.enabled, digest.at, digest.skip_empty) == (True, time(8), True)
    assert digest.mailbox is None


def test_digest_settings_are_read(tmp_path: Path) -> None:
    from datetime import time

    text = (
        GOOD
        + USER
        + (
            'digest_time = "07:15"\ndigest_skip_empty = false\n'
            'digest_mailbox = "work"\n'
        )
    )

    digest = load_config(write(tmp_path, text)).user("maya").digest

    assert (digest.at, digest.skip_empty, digest.mailbox) == (
        time(7, 15),
        False,
        "work",
    )


@pytest.mark.parametrize(
    ("lines", "key", "hint"),
    [
        ('digest_time = "8 am"', "users.maya.digest_time", "a time like 09:00"),
        ("digest_time = 8", "users.maya.digest_time", "a local time like 09:00"),
        ('digest_time = "08:00:30"', "users.maya.digest_time", "hours and minutes"),
        ('digest_skip_empty = "no"', "users.maya.digest_skip_empty", "true or false"),
        ('digest_mailbox = "home"', "users.maya.digest_mailbox", "no mailbox named"),
        ("digest = 1", "users.maya.digest", "true or false"),
    ],
)
def test_bad_digest_setting_names_file_key_and_what_is_allowed(
    tmp_path: Path, lines: str, key: str, hint: str
) -> None:
    path = write(tmp_path, f"{GOOD}{USER}{lines}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    message = str(caught.value)
    assert str(path) in message and key in message and hint in message


def test_a_digest_needs_the_users_address(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "[users.tom]\ndigest = true\n")

    with pytest.raises(ConfigError, match=r"users\.tom\.digest: needs .* email"):
        load_config(path)

    config = load_config(write(tmp_path, GOOD + "[users.tom]\n"))
    assert config.user("tom").digest.enabled is False


def test_a_missing_file_of_another_name_is_not_offered_to_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "work.toml")

    message = str(caught.value)
    assert "work.toml" in message
    assert f"inbox-crm init {tmp_path}`" not in message
    assert "DIR/inbox-crm.toml" in message
