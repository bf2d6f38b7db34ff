"""Reading contacts from CSV: columns recognised by name, or mapped with --map.

Recognised in any case and spacing: name or first/middle/last name; every
column that holds email addresses (email, e-mail 1 - value, additional email
addresses, …); company or organization; domain or website; phone columns;
tags or labels; owner; notes. Other non-empty columns are kept as custom
fields, except those that only describe another column (an email's label or
type). HubSpot and Google Contacts exports are read as they come.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from inbox_crm.contacts.records import (
    ContactRecord,
    check,
    clean_address,
    clean_domain,
    split_values,
)
from inbox_crm.errors import ContactImportError

FIELDS = (
    "name",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "company",
    "domain",
    "phone",
    "tags",
    "owner",
    "notes",
    "ignore",
)
_EXACT = {
    "id": "ignore",
    "name": "name",
    "full name": "name",
    "display name": "name",
    "contact name": "name",
    "first name": "first_name",
    "firstname": "first_name",
    "given name": "first_name",
    "middle name": "middle_name",
    "additional name": "middle_name",
    "last name": "last_name",
    "lastname": "last_name",
    "family name": "last_name",
    "surname": "last_name",
    "company": "company",
    "company name": "company",
    "organization": "company",
    "organisation": "company",
    "organization name": "company",
    "organization 1 name": "company",
    "associated company": "company",
    "account name": "company",
    "domain": "domain",
    "company domain": "domain",
    "company domain name": "domain",
    "website": "domain",
    "website url": "domain",
    "web page": "domain",
    "website 1 value": "domain",
    "tags": "tags",
    "tag": "tags",
    "labels": "tags",
    "categories": "tags",
    "group membership": "tags",
    "owner": "owner",
    "contact owner": "owner",
    "notes": "notes",
    "note": "notes",
}
_NON_WORD = re.compile(r"[^a-z0-9]+")
_DESCRIBES_A_VALUE = ("label", "type", "opt out", "status", "verified", "bounced")


def field_of(header: str) -> str | None:
    """The field a column holds, from its header, or None for a custom field."""
    key = _NON_WORD.sub(" ", header.lower()).strip()
    if key in _EXACT:
        return _EXACT[key]
    if key.endswith(_DESCRIBES_A_VALUE):
        return "ignore"
    if "date" in key:
        return None
    words = key.replace("e mail", "email").split()
    if "email" in words or "emails" in words:
        return "email"
    if "phone" in words or "mobile" in words:
        return "phone"
    return None


def read_csv(path: Path, mapping: Mapping[str, str]) -> list[ContactRecord]:
    """Every row of a CSV file with a header row, as records."""
    text = _text(path)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise ContactImportError(f"{path}: no header row")
    fields = _fields(path, header, mapping)
    if not {"email", "name", "first_name", "last_name"} & set(fields.values()):
        raise ContactImportError(
            f"{path}:1: no column holds a name or an email address; "
            "name one with --map 'HEADER=email'"
        )

    records = []
    for line, row in _rows(reader):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ContactImportError(
                f"{path}:{line}: {len(row)} cells but the header has {len(header)}"
            )
        record = _record(f"{path}:{line}", line, header, fields, row)
        records.append(record)
    return records


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ContactImportError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ContactImportError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV"
        ) from None
    except OSError as exc:
        raise ContactImportError(f"{path}: cannot read: {exc}") from exc


class _Semicolons(csv.excel):
    delimiter = ";"


class _Tabs(csv.excel):
    delimiter = "\t"


def _dialect(text: str) -> type[csv.Dialect]:
    """Spreadsheet CSV (quotes doubled inside quoted cells), by its delimiter.

    Only the delimiter is guessed, from the header line: guessing the quoting
    from a header without quotes takes a doubled quote in a cell for two.
    """
    header = text[:4096].partition("\n")[0]
    counts = {",": header.count(","), ";": header.count(";"), "\t": header.count("\t")}
    delimiter = max(counts, key=lambda mark: counts[mark])
    if counts[delimiter] == 0 or delimiter == ",":
        return csv.excel
    return _Semicolons if delimiter == ";" else _Tabs


def _fields(
    path: Path, header: list[str], mapping: Mapping[str, str]
) -> dict[int, str]:
    wanted = {key.strip().lower(): value for key, value in mapping.items()}
    known = {cell.strip().lower() for cell in header}
    for key, value in wanted.items():
        if key not in known:
            raise ContactImportError(f"--map {key}={value}: {path} has no such column")
        if value not in FIELDS:
            raise ContactImportError(
                f"--map {key}={value}: unknown field; use one of " + ", ".join(FIELDS)
            )
    fields: dict[int, str] = {}
    for index, cell in enumerate(header):
        field = wanted.get(cell.strip().lower()) or field_of(cell)
        if field is not None:
            fields[index] = field
    return fields


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    line = 2
    for row in reader:
        yield line, row
        line = reader.line_num + 1  # type: ignore[attr-defined]


def _record(
    where: str, line: int, header: list[str], fields: dict[int, str], row: list[str]
) -> ContactRecord:
    record = ContactRecord(line=line)
    parts: dict[str, str] = {}
    for index, cell in enumerate(row):
        value = cell.strip()
        if not value:
            continue
        field = fields.get(index)
        column = f"{where}: column {header[index]!r}"
        if field is None:
            record.custom_fields[header[index].strip()] = value
        elif field == "email":
            record.addresses += [clean_address(v, column) for v in split_values(value)]
        elif field == "domain":
            record.domains += [clean_domain(v, column) for v in split_values(value)]
        elif field == "phone":
            record.phones += split_values(value)
        elif field == "tags":
            record.tags += [t for t in split_values(value) if not t.startswith("* ")]
        elif field in ("name", "first_name", "middle_name", "last_name"):
            parts[field] = value
        elif field in ("company", "owner", "notes"):
            setattr(record, field, value)
    record.name = parts.get("name") or " ".join(
        parts[key] for key in ("first_name", "middle_name", "last_name") if key in parts
    )
    record.addresses = list(dict.fromkeys(record.addresses))
    check(record, where)
    return record
