"""Log set-up: IMAP traffic on demand, and never a line of a login."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from inbox_crm.logs import configure_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put back the handlers and levels that configure_logging replaces."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    imap_level = logging.getLogger("aioimaplib").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("aioimaplib").setLevel(imap_level)


def test_login_lines_of_imap_traffic_are_dropped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(logging.DEBUG, "text", imap_traffic=True)
    traffic = logging.getLogger("aioimaplib.aioimaplib")

    traffic.debug("Sending : %s", b"A1 AUTHENTICATE XOAUTH2 dXNlcj1h")
    traffic.debug("Sending : %s", b"A2 UID FETCH 1:5 (UID)")
    logging.getLogger("inbox_crm.imap.poller").info("LOGIN refused for work")

    err = capsys.readouterr().err
    assert "AUTHENTICATE" not in err
    assert "UID FETCH 1:5" in err
    assert "LOGIN refused for work" in err


def test_imap_traffic_is_quiet_unless_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(logging.DEBUG, "text", imap_traffic=False)

    logging.getLogger("aioimaplib.aioimaplib").debug("Sending : A2 NOOP")
    logging.getLogger("inbox_crm.imap.poller").debug("folder INBOX unchanged")

    err = capsys.readouterr().err
    assert "NOOP" not in err
    assert "folder INBOX unchanged" in err
