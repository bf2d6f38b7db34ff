"""The dry run: every rule's verdict on one message, with nothing written."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.ingest.fingerprint import fingerprint
from inbox_crm.mail.classify import classify
from inbox_crm.mail.parse import parse_message
from inbox_crm.rules.check import rule_template_error
from inbox_crm.rules.decide import Event, History, Outcome, decide
from inbox_crm.rules.engine import RulesEngine
from inbox_crm.rules.facts import Facts, MessageFacts, ThreadFacts
from inbox_crm.rules.history import parties_by_address
from inbox_crm.rules.model import Rule
from inbox_crm.rules.plans import plan_record
from inbox_crm.storage.models import Message

MESSAGE_TRIGGERS = ("message_received", "message_sent")


@dataclass
class Verdict:
    """What one rule would do with the message."""

    rule: Rule
    status: str  # hit, miss, not_applicable, not_reached, fired_before, error
    reason: str
    actions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "rule": self.rule.id,
            "file": str(self.rule.path),
            "line": self.rule.line,
            "trigger": str(self.rule.trigger),
            "verdict": self.status,
            "reason": self.reason,
            "actions": self.records,
            "notes": self.notes,
        }


def facts_from_file(
    session: Session, engine: RulesEngine, raw: bytes, mailbox: str
) -> Facts:
    """Facts of a message that is not stored: parsed, classified, looked up."""
    own = (
        engine.config.mailboxes[mailbox].addresses
        if mailbox in engine.config.mailboxes
        else ()
    )
    parsed = parse_message(raw)
    classification = classify(parsed, own)
    sender = parsed.from_.address.lower() if parsed.from_ else ""
    references = [
        *parsed.references,
        *([parsed.in_reply_to] if parsed.in_reply_to else []),
    ]
    thread_id = None
    if references:
        thread_id = session.scalar(
            select(Message.thread_id).where(Message.message_id.in_(references)).limit(1)
        )
    message = MessageFacts(
        id=None,
        fingerprint=fingerprint(parsed),
        mailbox=mailbox,
        mailbox_id=None,
        message_id=parsed.message_id,
        date=parsed.date or datetime.now(UTC),
        direction=classification.direction,
        kind=classification.kind,
        bulk=classification.bulk,
        list_id=classification.list_id,
        from_address=sender,
        from_name=parsed.from_.name if parsed.from_ else "",
        to=tuple(a.address.lower() for a in parsed.to),
        cc=tuple(a.address.lower() for a in parsed.cc),
        subject=parsed.subject,
        body=parsed.text,
        attachments=tuple(a.filename for a in parsed.attachments if a.filename),
        thread=ThreadFacts(thread_id, new=thread_id is None),
    )
    other = sender if message.direction == "inbound" else next(iter(message.to), "")
    contact, company, match = (
        parties_by_address(session, other) if other else (None, None, None)
    )
    trigger = "message_sent" if message.direction == "outbound" else "message_received"
    return Facts(
        trigger=trigger,
        moment=message.date,
        calendar=engine.calendars.for_rule(None, mailbox),
        message=message,
        contact=contact,
        company=company,
        match=match,
    )


def dry_run(
    engine: RulesEngine,
    facts: Facts,
    fired: frozenset[str] = frozenset(),
    only: str | None = None,
) -> list[Verdict]:
    """Each rule's verdict (or only one rule's), in evaluation order."""
    message = facts.message
    assert message is not None
    rules = engine.rules.rules
    verdicts: dict[str, Verdict] = {}
    event = Event(facts.trigger, "dry-run", facts, message.from_address)
    history = History(fired=fired, cap=10**9)
    for outcome in decide(rules, event, history, engine.calendars, explain=True):
        verdicts[outcome.rule.id] = _verdict(engine, outcome)

    stopper = next(
        (
            v.rule.id
            for v in verdicts.values()
            if any(r["action"] == "stop" for r in v.records)
        ),
        None,
    )
    result = []
    for rule in rules:
        if only is not None and rule.id != only:
            continue
        if rule.id in verdicts:
            result.append(verdicts[rule.id])
        elif rule.trigger.kind == facts.trigger:
            result.append(
                Verdict(rule, "not_reached", f"rule {stopper} stopped further rules")
            )
        elif rule.trigger.kind == "no_reply":
            result.append(_no_reply(engine, rule, facts, fired))
        elif rule.trigger.kind in MESSAGE_TRIGGERS:
            result.append(
                Verdict(rule, "not_applicable", f"the message is {message.direction}")
            )
        else:
            result.append(
                Verdict(
                    rule,
                    "not_applicable",
                    f"{rule.trigger.kind} is not a message trigger",
                )
            )
    return result


def _no_reply(
    engine: RulesEngine, rule: Rule, facts: Facts, fired: frozenset[str]
) -> Verdict:
    message = facts.message
    assert message is not None and rule.trigger.within is not None
    if rule.trigger.after != message.direction:
        return Verdict(rule, "not_applicable", f"waits after {rule.trigger.after} mail")
    calendar = engine.calendars.for_rule(rule.user, message.mailbox)
    due = calendar.add(message.date, rule.trigger.within)
    later = dataclasses.replace(facts, trigger="no_reply", moment=due, cache={})
    event = Event("no_reply", "dry-run", later, message.from_address)
    history = History(fired=fired, cap=10**9)
    [outcome] = decide((rule,), event, history, engine.calendars, explain=True)
    verdict = _verdict(engine, outcome)
    verdict.reason = (
        f"if no reply by {calendar.local(due):%Y-%m-%d %H:%M %Z}: {verdict.reason}"
    )
    return verdict


def _verdict(engine: RulesEngine, outcome: Outcome) -> Verdict:
    if outcome.error:
        return Verdict(outcome.rule, "error", outcome.error)
    if not outcome.hit:
        return Verdict(outcome.rule, "miss", outcome.reason)
    missing = rule_template_error(outcome.rule, engine.config.outreach.templates)
    if missing is not None:
        return Verdict(outcome.rule, "error", f"it would fail: {missing}")
    status = "fired_before" if outcome.fired_before else "hit"
    return Verdict(
        outcome.rule,
        status,
        outcome.reason,
        actions=[plan.describe() for plan in outcome.plans],
        notes=list(outcome.notes),
        records=[plan_record(plan) for plan in outcome.plans],
    )
