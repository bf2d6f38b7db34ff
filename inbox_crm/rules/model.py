"""Rules as loaded from their files: triggers, conditions and action specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inbox_crm.businesstime.durations import Duration
from inbox_crm.rules.conditions import Condition
from inbox_crm.rules.text import Text
from inbox_crm.wording import with_article

ACTIVITY_KINDS = ("follow_up", "task", "call", "note")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_FIELDS = ("status", "priority", "assignee", "queue")
TAG_TARGETS = ("contact", "company", "message", "thread", "ticket")
ASSIGN_TARGETS = ("contact", "ticket")
OUTREACH_RECIPIENTS = ("sender", "contact")
# Assignee values that name no user but say where to find one.
ASSIGNEE_ROLES = ("contact_owner", "mailbox_user")


@dataclass(frozen=True)
class Trigger:
    """When a rule is considered.

    `after` and `within` belong to no_reply, `cron` and `business_days_only`
    to schedule, `fields` to ticket_changed (empty: any change).
    """

    kind: str
    after: str | None = None
    within: Duration | None = None
    cron: str | None = None
    business_days_only: bool = False
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind == "no_reply":
            return (
                f"no reply within {self.within} after "
                f"{with_article(f'{self.after} message')}"
            )
        if self.kind == "schedule":
            return f"schedule {self.cron!r}"
        return self.kind


@dataclass(frozen=True)
class ActivitySpec:
    kind: str
    title: Text
    due: Duration | None
    assignee: str | None
    notes: Text | None
    line: int


@dataclass(frozen=True)
class TicketSpec:
    priority: str
    queue: str
    assignee: str | None
    subject: Text | None
    line: int


@dataclass(frozen=True)
class TagSpec:
    name: Text
    target: str
    line: int


@dataclass(frozen=True)
class AssignSpec:
    owner: str
    target: str
    line: int


@dataclass(frozen=True)
class OutreachSpec:
    template: str
    to: str
    delay: Duration | None
    line: int


@dataclass(frozen=True)
class NotifySpec:
    user: str
    text: Text
    line: int


@dataclass(frozen=True)
class StopSpec:
    line: int


ActionSpec = (
    ActivitySpec | TicketSpec | TagSpec | AssignSpec | OutreachSpec | NotifySpec
) | StopSpec
# Actions that create records and so count against the per-sender cap.
CREATING = (ActivitySpec, TicketSpec, OutreachSpec)


@dataclass(frozen=True)
class Rule:
    """One rule from a file, in the order rules are evaluated."""

    id: str
    description: str
    trigger: Trigger
    condition: Condition | None
    actions: tuple[ActionSpec, ...]
    path: Path
    line: int
    allow_automated: bool = False
    user: str | None = None


@dataclass(frozen=True)
class RuleSet:
    """Every enabled rule, in file-name order and then file order."""

    rules: tuple[Rule, ...] = ()
    files: tuple[Path, ...] = ()
    disabled: tuple[str, ...] = field(default=())

    def for_trigger(self, kind: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.trigger.kind == kind)

    def get(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)
