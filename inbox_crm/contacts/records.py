"""A contact as an import file describes it, before it meets the database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from inbox_crm.errors import ContactImportError
from inbox_crm.mail.addresses import is_valid

_SEPARATORS = re.compile(r"\s*(?:;|:::|\n)\s*")
_WEBSITE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?([^/:?#\s]+)", re.I)


@dataclass
class ContactRecord:
    """One imported person; `line` is where the file describes it."""

    line: int
    name: str = ""
    addresses: list[str] = field(default_factory=list)
    company: str = ""
    domains: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    owner: str = ""
    notes: str = ""
    custom_fields: dict[str, Any] = field(default_factory=dict)


def split_values(value: str) -> list[str]:
    """Values of one cell: separated by ";" (or Google's " ::: "), blanks dropped."""
    return [part for part in _SEPARATORS.split(value.strip()) if part]


def clean_address(value: str, where: str) -> str:
    """A valid lower-case address, or an error naming where the bad one was."""
    address = value.strip().strip("<>").removeprefix("mailto:").strip().lower()
    if not is_valid(address) or "." not in address.rpartition("@")[2]:
        raise ContactImportError(f"{where}: {value!r} is not an email address")
    return address


def clean_domain(value: str, where: str) -> str:
    """The host of a domain or website cell (https://www.acme.com/x gives acme.com)."""
    match = _WEBSITE.match(value.strip())
    domain = match.group(1).lower().rstrip(".") if match else ""
    if "." not in domain or "@" in domain:
        raise ContactImportError(f"{where}: {value!r} is not a domain or website")
    return domain


def check(record: ContactRecord, where: str) -> None:
    """Refuse a record that names nobody: no address, no name."""
    if not record.addresses and not record.name:
        raise ContactImportError(f"{where}: neither a name nor an email address")
