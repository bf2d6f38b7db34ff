"""Email addresses as linking compares them: folded variants and role mailboxes."""

from __future__ import annotations

import re

# Domains that deliver to the same mailbox under another name.
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Gmail ignores dots in the local part: a.b@gmail.com is ab@gmail.com.
DOTLESS_DOMAINS = frozenset({"gmail.com"})

# Local parts of mailboxes that belong to a function or a machine, not a
# person: they never become a contact of their own.
ROLE_LOCAL_PARTS = frozenset(
    {
        "abuse",
        "accounting",
        "accounts",
        "admin",
        "administrator",
        "alerts",
        "billing",
        "bounce",
        "bounces",
        "careers",
        "contact",
        "daemon",
        "hello",
        "help",
        "helpdesk",
        "hostmaster",
        "info",
        "invoice",
        "invoices",
        "jobs",
        "mailer",
        "mailer-daemon",
        "marketing",
        "news",
        "newsletter",
        "noc",
        "notification",
        "notifications",
        "notify",
        "office",
        "orders",
        "postmaster",
        "press",
        "privacy",
        "root",
        "sales",
        "security",
        "service",
        "support",
        "team",
        "updates",
        "webmaster",
    }
)
_NO_REPLY = re.compile(r"^(?:do[-_.]?not[-_.]?reply|no[-_.]?reply)", re.I)
_AUTOMATED = re.compile(r"(?:^|[-_.])(?:bounces?|mailer-daemon|noreply)(?:[-_.+]|$)")


def split(address: str) -> tuple[str, str]:
    """The local part and the lower-case domain of an address."""
    local, _, domain = address.strip().rpartition("@")
    return local, domain.lower().rstrip(".")


def fold(address: str, plus_tags: bool = True) -> str:
    """The form under which variants of one mailbox compare equal.

    Lower-case; a "+tag" dropped when `plus_tags`; googlemail.com read as
    gmail.com, whose local parts ignore dots.
    """
    local, domain = split(address.lower())
    if not domain:
        return local
    if plus_tags:
        local = local.partition("+")[0] or local
    domain = DOMAIN_ALIASES.get(domain, domain)
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def is_role_address(address: str, extra: frozenset[str] = frozenset()) -> bool:
    """Tell whether an address is a function's or a machine's, not a person's."""
    local = split(address)[0].lower().partition("+")[0]
    if local in ROLE_LOCAL_PARTS or local in extra:
        return True
    return bool(_NO_REPLY.match(local) or _AUTOMATED.search(local))
