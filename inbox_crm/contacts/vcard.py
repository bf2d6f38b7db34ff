"""Reading contacts from vCard files (versions 3 and 4) through vobject."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import vobject

from inbox_crm.contacts.records import (
    ContactRecord,
    check,
    clean_address,
    clean_domain,
)
from inbox_crm.errors import ContactImportError

_BEGIN = re.compile(r"^BEGIN:VCARD\s*$", re.I | re.M)


def read_vcards(path: Path) -> list[ContactRecord]:
    """Every card of a .vcf file, as records."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContactImportError(f"{path}: cannot read as UTF-8 text: {exc}") from exc
    starts = [text.count("\n", 0, match.start()) + 1 for match in _BEGIN.finditer(text)]
    if not starts:
        raise ContactImportError(f"{path}: no BEGIN:VCARD, not a vCard file")

    records = []
    try:
        for number, card in enumerate(vobject.readComponents(text), start=1):
            line = starts[number - 1] if number <= len(starts) else starts[-1]
            records.append(_record(card, f"{path}:{line}", line))
    except vobject.base.ParseError as exc:
        raise ContactImportError(f"{path}: not a valid vCard: {exc}") from exc
    return records


def _record(card: Any, where: str, line: int) -> ContactRecord:
    if card.name.upper() != "VCARD":
        raise ContactImportError(f"{where}: {card.name} is not a vCard")
    record = ContactRecord(line=line, name=_name(card))
    for item in _all(card, "email"):
        record.addresses.append(clean_address(str(item.value), where))
    for item in _all(card, "tel"):
        record.phones.append(str(item.value).strip())
    for item in _all(card, "categories"):
        values = item.value if isinstance(item.value, list) else [item.value]
        record.tags += [str(value).strip() for value in values if str(value).strip()]
    for item in _all(card, "url"):
        record.domains.append(clean_domain(str(item.value), where))
    orgs = _all(card, "org")
    if orgs:
        value = orgs[0].value
        record.company = (value[0] if isinstance(value, list) else str(value)).strip()
    notes = _all(card, "note")
    if notes:
        record.notes = str(notes[0].value).strip()
    record.addresses = list(dict.fromkeys(record.addresses))
    check(record, where)
    return record


def _name(card: Any) -> str:
    names = _all(card, "fn")
    if names and str(names[0].value).strip():
        return str(names[0].value).strip()
    structured = _all(card, "n")
    if structured:
        value = structured[0].value
        parts = [value.given, value.additional, value.family]
        words = [" ".join(part) if isinstance(part, list) else part for part in parts]
        return " ".join(word for word in words if word).strip()
    return ""


def _all(card: Any, name: str) -> list[Any]:
    return list(card.contents.get(name, []))
