"""Typed access to TOML values, with errors that name the file and the key."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from inbox_crm.errors import ConfigError

LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Reader:
    """Typed access to TOML values with errors that name the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {message}")

    def no_unknown_keys(
        self, table: dict[str, Any], allowed: set[str], at: str
    ) -> None:
        for key in table:
            if key not in allowed:
                where = f"{at}.{key}" if at else key
                hint = ", ".join(sorted(allowed))
                if key == "password":
                    hint = "password_env or password_command (never the secret itself)"
                raise self.error(where, f"unknown key; allowed: {hint}")

    def table(self, document: dict[str, Any], key: str) -> dict[str, Any]:
        value = document.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table, like [" + key + "]")
        return value

    def string(
        self, table: dict[str, Any], key: str, at: str, default: str | None = None
    ) -> str:
        value = table.get(key, default)
        if value is None:
            raise self.error(f"{at}.{key}", "is required")
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{at}.{key}", "must be a non-empty string")
        return value

    def optional_string(self, table: dict[str, Any], key: str, at: str) -> str | None:
        if key not in table:
            return None
        return self.string(table, key, at)

    def integer(
        self,
        table: dict[str, Any],
        key: str,
        at: str,
        default: int,
        low: int,
        high: int,
    ) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{at}.{key}", f"must be a whole number ({low}-{high})")
        if not low <= value <= high:
            raise self.error(f"{at}.{key}", f"must be between {low} and {high}")
        return value

    def boolean(self, table: dict[str, Any], key: str, at: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{at}.{key}", "must be true or false")
        return value

    def strings(
        self, table: dict[str, Any], key: str, at: str, default: tuple[str, ...]
    ) -> tuple[str, ...]:
        value = table.get(key, list(default))
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item for item in value
        ):
            raise self.error(f"{at}.{key}", "must be a list of non-empty strings")
        return tuple(value)

    def choice(
        self, table: dict[str, Any], key: str, at: str, choices: tuple[str, ...]
    ) -> str:
        value = table.get(key, choices[0])
        if value not in choices:
            raise self.error(f"{at}.{key}", "must be one of " + ", ".join(choices))
        return str(value)

    def domains(self, table: dict[str, Any], key: str, at: str) -> tuple[str, ...]:
        values = self.strings(table, key, at, ())
        for value in values:
            if "@" in value or "." not in value or " " in value:
                raise self.error(
                    f"{at}.{key}", f"{value!r} is not a domain like example.com"
                )
        return tuple(value.lower().strip(".") for value in values)

    def ca_path(self, value: str | None, key: str) -> Path | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.path.parent / path
        if not path.is_file():
            raise self.error(key, f"no such file: {path}")
        return path
