"""The [business], [users.NAME], [rules] and [tickets] tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inbox_crm.config.model import (
    BusinessConfig,
    DigestConfig,
    RulesConfig,
    TicketsConfig,
    UserConfig,
)
from inbox_crm.config.reader import Reader

RULES_KEYS = {"folder", "enabled", "since", "sender_cap", "sender_cap_hours"}

TICKETS_KEYS = {"prefix"}

BUSINESS_KEYS = {"timezone", "country", "subdivision", "days", "start", "end"}

DIGEST_KEYS = {"digest", "digest_time", "digest_skip_empty", "digest_mailbox"}

USER_KEYS = BUSINESS_KEYS | DIGEST_KEYS | {"email", "mailboxes"}

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def read_rules(
    reader: Reader, table: dict[str, Any], business: BusinessConfig
) -> RulesConfig:
    reader.no_unknown_keys(table, RULES_KEYS, "rules")
    folder = Path(reader.string(table, "folder", "rules", default="rules"))
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise reader.error("rules.enabled", "must be true or false")
    return RulesConfig(
        folder=folder if folder.is_absolute() else reader.path.parent / folder,
        enabled=enabled,
        since=_read_moment(reader, table.get("since"), "rules.since", business),
        sender_cap=reader.integer(table, "sender_cap", "rules", 20, 1, 100000),
        sender_cap_hours=reader.integer(
            table, "sender_cap_hours", "rules", 24, 1, 24 * 366
        ),
    )


def read_tickets(reader: Reader, table: dict[str, Any]) -> TicketsConfig:
    reader.no_unknown_keys(table, TICKETS_KEYS, "tickets")
    prefix = reader.string(table, "prefix", "tickets", default="T")
    if not prefix.isascii() or not prefix.isalnum() or len(prefix) > 10:
        raise reader.error(
            "tickets.prefix", "must be 1-10 ASCII letters or digits, like CRM"
        )
    return TicketsConfig(prefix=prefix.upper())


def read_user(
    reader: Reader,
    name: str,
    table: dict[str, Any],
    business: BusinessConfig,
    mailboxes: set[str],
) -> UserConfig:
    at = f"users.{name}"
    reader.no_unknown_keys(table, USER_KEYS, at)
    email = reader.optional_string(table, "email", at)
    if email is not None and "@" not in email:
        raise reader.error(f"{at}.email", "must be an email address")
    owned = reader.strings(table, "mailboxes", at, ())
    for mailbox in owned:
        if mailbox not in mailboxes:
            known = ", ".join(sorted(mailboxes)) or "none"
            raise reader.error(
                f"{at}.mailboxes", f"no mailbox named {mailbox!r} ({known})"
            )
    return UserConfig(
        name=name,
        email=email.lower() if email else None,
        business=read_business(reader, table, at, business),
        mailboxes=owned,
        digest=_read_digest(reader, table, at, email, mailboxes),
    )


def _read_digest(
    reader: Reader,
    table: dict[str, Any],
    at: str,
    email: str | None,
    mailboxes: set[str],
) -> DigestConfig:
    """The user's digest: on by default for a user with an email address."""
    enabled = reader.boolean(table, "digest", at, email is not None)
    if enabled and email is None:
        raise reader.error(
            f"{at}.digest",
            "needs the user's email address: set email, the digest's "
            "recipient (or digest = false)",
        )
    mailbox = reader.optional_string(table, "digest_mailbox", at)
    if mailbox is not None and mailbox not in mailboxes:
        known = ", ".join(sorted(mailboxes)) or "none"
        raise reader.error(
            f"{at}.digest_mailbox", f"no mailbox named {mailbox!r} ({known})"
        )
    clock = _read_clock(reader, table, "digest_time", at, time(8, 0))
    if clock.second or clock.microsecond:
        raise reader.error(f"{at}.digest_time", "must be hours and minutes, like 08:00")
    return DigestConfig(
        enabled=enabled,
        at=clock,
        skip_empty=reader.boolean(table, "digest_skip_empty", at, True),
        mailbox=mailbox,
    )


def read_business(
    reader: Reader, table: dict[str, Any], at: str, default: BusinessConfig
) -> BusinessConfig:
    timezone = reader.string(table, "timezone", at, default=default.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.error(
            f"{at}.timezone", "not an IANA timezone, like Europe/Berlin or UTC"
        ) from None
    country = table.get("country", default.country)
    subdivision = table.get("subdivision", default.subdivision)
    if "country" in table and "subdivision" not in table:
        subdivision = None
    _read_holiday_region(reader, country, subdivision, at)
    start = _read_clock(reader, table, "start", at, default.start)
    end = _read_clock(reader, table, "end", at, default.end)
    if end <= start:
        raise reader.error(f"{at}.end", "must be later than start")
    return BusinessConfig(
        timezone=timezone,
        country=country,
        subdivision=subdivision,
        days=_read_weekdays(reader, table, at, default.days),
        start=start,
        end=end,
    )


def _read_holiday_region(
    reader: Reader, country: object, subdivision: object, at: str
) -> None:
    if country is None:
        if subdivision is not None:
            raise reader.error(f"{at}.subdivision", "needs a country as well")
        return
    # Imported only when a country is set: the library is large, and most
    # commands read the configuration without needing it.
    import holidays

    supported = holidays.list_supported_countries()
    if not isinstance(country, str) or country.upper() not in supported:
        raise reader.error(
            f"{at}.country",
            "must be an ISO 3166 country code the holidays library knows, "
            "like DE, GB or US",
        )
    regions = supported[country.upper()]
    if subdivision is not None and subdivision not in regions:
        raise reader.error(
            f"{at}.subdivision",
            f"unknown for {country}; allowed: {', '.join(regions)}",
        )


def _read_clock(
    reader: Reader, table: dict[str, Any], key: str, at: str, default: time
) -> time:
    value = table.get(key)
    if value is None:
        return default
    try:
        clock = time.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        raise reader.error(f"{at}.{key}", "must be a time like 09:00") from None
    if not isinstance(clock, time) or clock.tzinfo is not None:
        raise reader.error(
            f"{at}.{key}", "must be a local time like 09:00, without a zone"
        )
    return clock


def _read_weekdays(
    reader: Reader, table: dict[str, Any], at: str, default: tuple[int, ...]
) -> tuple[int, ...]:
    if "days" not in table:
        return default
    names = reader.strings(table, "days", at, ())
    days = []
    for day in names:
        if day.lower() not in WEEKDAYS:
            raise reader.error(f"{at}.days", f"{day!r}: use {', '.join(WEEKDAYS)}")
        days.append(WEEKDAYS.index(day.lower()))
    if not days:
        raise reader.error(f"{at}.days", "must name at least one weekday")
    return tuple(sorted(set(days)))


def _read_moment(
    reader: Reader, value: object, key: str, business: BusinessConfig
) -> datetime | None:
    if value is None:
        return None
    zone = ZoneInfo(business.timezone)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=zone)
        return moment.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), zone).astimezone(UTC)
    raise reader.error(key, "must be a TOML date or date-time, like 2026-12-01")
