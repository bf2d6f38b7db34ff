"""Choosing the day of a digest on the command line: what is refused, and how."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_crm.cli.digest import chosen_day
from inbox_crm.config import UserConfig, load_config
from inbox_crm.digest.period import DigestError

CONFIG = """\
[users.me]
email = "me@example.com"
timezone = "Europe/Berlin"
digest_time = "08:00"
"""


@pytest.fixture
def user(tmp_path: Path) -> UserConfig:
    path = tmp_path / "inbox-crm.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path).user("me")


def test_today_before_its_digest_time_says_it_is_not_due_yet(
    user: UserConfig,
) -> None:
    # 06:30 UTC is 07:30 in Berlin, before the 08:00 digest.
    now = datetime(2026, 12, 4, 6, 30, tzinfo=UTC)

    with pytest.raises(DigestError) as refused:
        chosen_day(user, datetime(2026, 12, 4), now)

    message = str(refused.value)
    assert "today's digest of me (2026-12-04) is not due yet" in message
    assert "08:00 (Europe/Berlin)" in message
    assert "leave out --date for the latest one due, 2026-12-03" in message
    assert "choose that day" not in message


def test_today_after_its_digest_time_and_earlier_days_are_taken(
    user: UserConfig,
) -> None:
    now = datetime(2026, 12, 4, 7, 30, tzinfo=UTC)

    assert chosen_day(user, datetime(2026, 12, 4), now).isoformat() == "2026-12-04"
    assert chosen_day(user, datetime(2026, 12, 1), now).isoformat() == "2026-12-01"
    assert chosen_day(user, None, now).isoformat() == "2026-12-04"
