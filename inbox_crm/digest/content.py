"""What a digest says: every section as plain values, for the templates and JSON.

Templates get dictionaries, lists and strings, never database objects, so the
sandbox has nothing to reach through. The keys are listed in the README.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from inbox_crm.digest.mail import awaiting, inbound_mail
from inbox_crm.digest.scope import Scope
from inbox_crm.digest.work import (
    activities_due,
    new_senders,
    notifications,
    open_tickets,
    rule_firings,
)


def digest_content(session: Session, scope: Scope) -> dict[str, Any]:
    """Every section of the digest of `scope`, and whether there is anything at all."""
    user = scope.user
    period = scope.period
    waiting = awaiting(session, scope)
    content: dict[str, Any] = {
        "user": {
            "name": user.name,
            "email": user.email,
            "timezone": user.business.timezone,
        },
        "day": period.day.isoformat(),
        "day_label": f"{period.day:%A} {period.day.day} {period.day:%B %Y}",
        "period": {"start": scope.when(period.start), "end": scope.when(period.end)},
        "inbound": inbound_mail(session, scope),
        "awaiting_us": waiting["ours"],
        "awaiting_them": waiting["theirs"],
        "activities": activities_due(session, scope),
        "tickets": open_tickets(session, scope),
        "leads": new_senders(session, scope),
        "rules": rule_firings(session, scope),
        "notifications": notifications(session, scope),
    }
    content["counts"] = counts(content)
    content["empty"] = not any(content["counts"].values())
    return content


def counts(content: dict[str, Any]) -> dict[str, int]:
    """The size of each section; all zero means the digest has nothing to tell."""
    return {
        "inbound": content["inbound"]["count"],
        "awaiting_us": content["awaiting_us"]["count"],
        "awaiting_them": content["awaiting_them"]["count"],
        "activities": content["activities"]["count"],
        "tickets": content["tickets"]["count"],
        "leads": content["leads"]["count"],
        "rules": content["rules"]["count"],
        "notifications": len(content["notifications"]),
    }
