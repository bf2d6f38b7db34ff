"""The actions a decision plans: plain values, described and recorded as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from inbox_crm.export import iso_utc
from inbox_crm.wording import with_article


@dataclass(frozen=True)
class PlanActivity:
    kind: str
    title: str
    notes: str
    due_at: datetime | None
    assignee: str | None
    closes_on_reply: bool

    def describe(self) -> str:
        due = f", due {iso_utc(self.due_at)}" if self.due_at else ""
        who = f", for {self.assignee}" if self.assignee else ""
        return f"create {self.kind} activity {self.title!r}{due}{who}"


@dataclass(frozen=True)
class PlanTicket:
    priority: str
    queue: str
    assignee: str | None
    subject: str

    def describe(self) -> str:
        who = f", assigned to {self.assignee}" if self.assignee else ""
        queue = f" in queue {self.queue}" if self.queue else ""
        ticket = with_article(f"{self.priority} ticket")
        return f"open {ticket} {self.subject!r}{queue}{who}"


@dataclass(frozen=True)
class PlanTag:
    tag: str
    target: str
    target_id: int | None

    def describe(self) -> str:
        return f"tag the {self.target} {self.target_id or '(none)'} with {self.tag!r}"


@dataclass(frozen=True)
class PlanAssign:
    owner: str
    target: str
    target_id: int | None

    def describe(self) -> str:
        return f"make {self.owner} the owner of {self.target} {self.target_id or ''}"


@dataclass(frozen=True)
class PlanOutreach:
    template: str
    to_address: str
    send_at: datetime

    def describe(self) -> str:
        return (
            f"queue template {self.template!r} to {self.to_address} "
            f"at {iso_utc(self.send_at)}"
        )


@dataclass(frozen=True)
class PlanNotify:
    user: str
    text: str

    def describe(self) -> str:
        return f"notify {self.user}: {self.text!r}"


@dataclass(frozen=True)
class PlanStop:
    def describe(self) -> str:
        return "stop: no further rules for this event"


Plan = (
    PlanActivity | PlanTicket | PlanTag | PlanAssign | PlanOutreach | PlanNotify
) | PlanStop
CREATING_PLANS = (PlanActivity, PlanTicket, PlanOutreach)

_NAMES = {
    PlanActivity: "activity",
    PlanTicket: "ticket",
    PlanTag: "tag",
    PlanAssign: "assign",
    PlanOutreach: "outreach",
    PlanNotify: "notify",
    PlanStop: "stop",
}


def plan_record(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict: {"action": name, ...its values}."""
    values = {
        key: iso_utc(value) if isinstance(value, datetime) else value
        for key, value in asdict(plan).items()
    }
    return {"action": _NAMES[type(plan)], **values}
