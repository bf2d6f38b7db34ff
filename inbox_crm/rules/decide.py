"""Deciding: given an event and its history, which rules hit and what they plan.

Nothing here reads or writes the database: the same event and history give
the same decision, which is what the dry run shows and what the engine then
carries out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from inbox_crm.rules.calendars import Calendars
from inbox_crm.rules.facts import Facts
from inbox_crm.rules.model import Rule
from inbox_crm.rules.planner import plan_actions
from inbox_crm.rules.plans import CREATING_PLANS, Plan, PlanStop
from inbox_crm.rules.text import TextError
from inbox_crm.wording import counted


@dataclass(frozen=True)
class Event:
    """Something that happened, with the key that makes its firings unique."""

    trigger: str
    key: str
    facts: Facts
    sender: str | None = None
    depth: int = 0


@dataclass(frozen=True)
class History:
    """What happened before: rules that fired for this key, the sender's count."""

    fired: frozenset[str] = frozenset()
    created_by_sender: int = 0
    cap: int = 20
    cap_hours: int = 24


@dataclass
class Outcome:
    """One rule's verdict on one event."""

    rule: Rule
    hit: bool
    reason: str
    plans: list[Plan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    fired_before: bool = False
    capped: bool = False

    @property
    def created(self) -> int:
        return sum(isinstance(plan, CREATING_PLANS) for plan in self.plans)


def decide(
    rules: Sequence[Rule],
    event: Event,
    history: History,
    calendars: Calendars,
    explain: bool = False,
) -> list[Outcome]:
    """Every rule of the event's trigger, in order, until one says stop.

    With `explain`, there is an outcome for every rule, saying which
    condition decided it (the dry run). Without, only hits come back, and
    a miss costs no more than its conditions.
    """
    outcomes: list[Outcome] = []
    created = history.created_by_sender
    for rule in rules:
        if rule.trigger.kind != event.trigger:
            continue
        if not explain and not _holds(rule, event.facts, calendars):
            continue
        outcome = judge(rule, event, calendars, explain)
        outcomes.append(outcome)
        if not outcome.hit:
            continue
        if rule.id in history.fired:
            outcome.fired_before = True
            outcome.notes.append("fired already for this trigger: nothing to do")
            outcome.plans = []
            continue
        _protect(outcome, event, history, created)
        created += outcome.created
        if any(isinstance(plan, PlanStop) for plan in outcome.plans):
            break
    return outcomes


def _holds(rule: Rule, facts: Facts, calendars: Calendars) -> bool:
    if rule.condition is None:
        return True
    return rule.condition.run(_facts_for(rule, facts, calendars))


def judge(
    rule: Rule, event: Event, calendars: Calendars, explain: bool = False
) -> Outcome:
    """Test one rule's conditions and, on a hit, plan its actions."""
    facts = _facts_for(rule, event.facts, calendars)
    if rule.condition is None:
        hit, reason = True, "no conditions: every event of the trigger"
    elif explain:
        hit, reason = rule.condition.explain(facts)
    else:
        hit = rule.condition.test(facts)
        reason = "the conditions held" if hit else "the conditions failed"
    outcome = Outcome(rule, hit, reason)
    if hit:
        try:
            outcome.plans, outcome.notes = plan_actions(rule, facts, calendars)
        except TextError as exc:
            outcome.error = str(exc)
    return outcome


def _facts_for(rule: Rule, facts: Facts, calendars: Calendars) -> Facts:
    if rule.user is None:
        return facts
    calendar = calendars.for_user(rule.user)
    return dataclasses.replace(facts, calendar=calendar, cache={})


def _protect(outcome: Outcome, event: Event, history: History, created: int) -> None:
    """Loop protection and the per-sender cap: drop what must not be made."""
    message = event.facts.message
    automated = message.automated if message is not None else None
    kept: list[Plan] = []
    for plan in outcome.plans:
        name = type(plan).__name__.removeprefix("Plan").lower()
        if (
            automated
            and not outcome.rule.allow_automated
            and name
            in (
                "ticket",
                "outreach",
            )
        ):
            outcome.notes.append(
                f"skipped {name}: the message is {automated} mail "
                "(set allow_automated: true on the rule to act on it)"
            )
            continue
        if isinstance(plan, CREATING_PLANS) and event.sender is not None:
            if created >= history.cap:
                outcome.capped = True
                outcome.notes.append(
                    f"skipped {name}: {event.sender} reached the cap of "
                    f"{counted(history.cap, 'record')} per "
                    f"{counted(history.cap_hours, 'hour')}"
                )
                continue
            created += 1
        kept.append(plan)
    outcome.plans = kept
