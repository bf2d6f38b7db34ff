"""Reading a mailbox's password or OAuth token from outside the config file."""

from __future__ import annotations

import os
import shlex
import subprocess

from inbox_crm.config import MailboxConfig
from inbox_crm.errors import SecretError

COMMAND_TIMEOUT = 30.0


def mailbox_secret(mailbox: MailboxConfig) -> str:
    """The password (or, with XOAUTH2, the access token) for `mailbox`."""
    if mailbox.auth == "xoauth2" and mailbox.token_command:
        return run_secret_command(mailbox.token_command, mailbox.name)
    if mailbox.password_env:
        value = os.environ.get(mailbox.password_env)
        if value is None:
            raise SecretError(
                f"mailbox {mailbox.name!r}: the environment variable "
                f"{mailbox.password_env} is not set; export it with the password"
            )
        if not value:
            raise SecretError(
                f"mailbox {mailbox.name!r}: the environment variable "
                f"{mailbox.password_env} is empty; export it with the password"
            )
        return value
    if mailbox.password_command:
        return run_secret_command(mailbox.password_command, mailbox.name)
    raise SecretError(f"mailbox {mailbox.name!r}: no password_env or password_command")


def run_secret_command(command: str, mailbox: str) -> str:
    """Run `command` and return its first line of output, without the newline."""
    try:
        result = subprocess.run(
            shlex.split(command),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise SecretError(
            f"mailbox {mailbox!r}: the secret command could not run: {exc}"
        ) from exc
    if result.returncode != 0:
        raise SecretError(
            f"mailbox {mailbox!r}: the secret command exited with "
            f"{result.returncode}: {result.stderr.strip()[:200]}"
        )
    secret = result.stdout.splitlines()[0] if result.stdout else ""
    if not secret:
        raise SecretError(f"mailbox {mailbox!r}: the secret command printed nothing")
    return secret
