"""The [linking] table: how participants become contacts and companies."""

from __future__ import annotations

from typing import Any

from inbox_crm.config.model import LinkingConfig
from inbox_crm.config.reader import Reader

LINKING_KEYS = {
    "fold_plus_tags",
    "fuzzy_threshold",
    "review_threshold",
    "own_domains",
    "free_mail_domains",
    "role_addresses",
    "create_contacts",
    "create_companies",
}

CREATE_CONTACTS = ("personal", "written", "never")

CREATE_COMPANIES = ("auto", "never")


def read_linking(reader: Reader, table: dict[str, Any]) -> LinkingConfig:
    at = "linking"
    reader.no_unknown_keys(table, LINKING_KEYS, at)
    fuzzy = reader.integer(table, "fuzzy_threshold", at, 97, 50, 100)
    review = reader.integer(table, "review_threshold", at, 80, 0, 100)
    if review > fuzzy:
        raise reader.error(
            f"{at}.review_threshold",
            f"must not be above fuzzy_threshold ({fuzzy})",
        )
    roles = reader.strings(table, "role_addresses", at, ())
    for role in roles:
        if "@" in role:
            raise reader.error(
                f"{at}.role_addresses",
                f"{role!r}: give the part before the @ only, like 'accounts'",
            )
    return LinkingConfig(
        fold_plus_tags=reader.boolean(table, "fold_plus_tags", at, True),
        fuzzy_threshold=fuzzy,
        review_threshold=review,
        own_domains=reader.domains(table, "own_domains", at),
        free_mail_domains=reader.domains(table, "free_mail_domains", at),
        role_addresses=tuple(role.lower() for role in roles),
        create_contacts=reader.choice(table, "create_contacts", at, CREATE_CONTACTS),
        create_companies=reader.choice(table, "create_companies", at, CREATE_COMPANIES),
    )
