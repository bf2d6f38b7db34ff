"""Role addresses: mailboxes of a function or a machine rather than of a person.

RFC 2142 names the mailboxes every site should have (postmaster, abuse,
hostmaster, ...); the others are team inboxes and senders that never read
replies. Automated mail must not go to any of them.
"""

from __future__ import annotations

import re

_ROLES = frozenset(
    {
        # RFC 2142 and the mail system itself
        "abuse",
        "hostmaster",
        "mailer-daemon",
        "mailerdaemon",
        "noc",
        "postmaster",
        "root",
        "security",
        "usenet",
        "uucp",
        "webmaster",
        "www",
        # team and function inboxes
        "accounts",
        "admin",
        "administrator",
        "billing",
        "careers",
        "contact",
        "enquiries",
        "hello",
        "help",
        "helpdesk",
        "hr",
        "info",
        "inquiries",
        "jobs",
        "legal",
        "marketing",
        "office",
        "press",
        "privacy",
        "sales",
        "support",
        "team",
        # machines
        "alerts",
        "bounce",
        "bounces",
        "daemon",
        "list",
        "listserv",
        "mailer",
        "majordomo",
        "newsletter",
        "notification",
        "notifications",
        "unsubscribe",
    }
)
# noreply, no-reply, no_reply, donotreply, do-not-reply, with any suffix.
_NO_REPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply)(?:[-_.+].*)?$")


def is_role_address(address: str) -> bool:
    """Tell whether `address` belongs to a function or a machine, not a person."""
    local = address.rpartition("@")[0].lower().partition("+")[0]
    return local in _ROLES or _NO_REPLY.match(local) is not None


def is_no_reply_address(address: str) -> bool:
    """Tell whether `address` says it reads no replies: noreply@, do-not-reply@."""
    local = address.rpartition("@")[0].lower()
    return _NO_REPLY.match(local) is not None
