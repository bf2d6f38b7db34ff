"""The periodic job: no-reply deadlines, schedule slots and pending ticket events.

A wait whose mail bounced for every recipient (the bounce stored after
the deadline, say) or went only to no-reply addresses ends without firing.

Each unit (one wait, one slot) runs in its own transaction, and a failure is
logged with its traceback and the sweep goes on. Run it as often as you
like: what has fired is recorded, so nothing fires twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_crm.businesstime.cron import slots
from inbox_crm.rules.decide import Event, decide
from inbox_crm.rules.engine import RulesEngine
from inbox_crm.rules.execute import Subject
from inbox_crm.rules.facts import Facts
from inbox_crm.rules.model import Rule
from inbox_crm.rules.waits import answered_at
from inbox_crm.storage.db import Database
from inbox_crm.storage.delivery import unanswerable
from inbox_crm.storage.models import Message
from inbox_crm.storage.tracking import RuleMark, RuleWait

log = logging.getLogger(__name__)

BATCH = 200


@dataclass
class SweepReport:
    """What one sweep did."""

    fired: int = 0
    answered: int = 0
    answered_late: int = 0
    bounced: int = 0
    missed: int = 0
    slots: int = 0
    ticket_events: int = 0
    failed: int = 0


def sweep(
    database: Database, engine: RulesEngine, now: datetime | None = None
) -> SweepReport:
    """Fire due no-reply rules and schedule slots up to `now`."""
    now = now or datetime.now(UTC)
    report = SweepReport()
    if engine.config.rules.enabled:
        _waits(database, engine, now, report)
        for rule in engine.rules.for_trigger("schedule"):
            _schedule(database, engine, rule, now, report)
    with database.session() as session, session.begin():
        report.ticket_events = engine.evaluate_ticket_events(session)
    # A sweep that found nothing to do is logged with -v only.
    busy = any(vars(report).values())
    log.log(
        logging.INFO if busy else logging.DEBUG,
        "sweep: %s fired, %s answered in time, %s answered late, %s bounced, "
        "%s without a hit, %s schedule slots, %s ticket events, %s failed",
        report.fired,
        report.answered,
        report.answered_late,
        report.bounced,
        report.missed,
        report.slots,
        report.ticket_events,
        report.failed,
    )
    return report


def _waits(
    database: Database, engine: RulesEngine, now: datetime, report: SweepReport
) -> None:
    last_id = 0
    while True:
        with database.session() as session:
            ids = list(
                session.scalars(
                    select(RuleWait.id)
                    .where(
                        RuleWait.state == "waiting",
                        RuleWait.due_at <= now,
                        RuleWait.id > last_id,
                    )
                    .order_by(RuleWait.id)
                    .limit(BATCH)
                )
            )
        if not ids:
            return
        for wait_id in ids:
            try:
                with database.session() as session, session.begin():
                    _one_wait(session, engine, wait_id, report)
            except Exception:  # one failing wait never stops the sweep
                log.exception("no-reply wait %s could not be handled", wait_id)
                report.failed += 1
        last_id = ids[-1]


def _one_wait(
    session: Session, engine: RulesEngine, wait_id: int, report: SweepReport
) -> None:
    wait = session.get_one(RuleWait, wait_id)
    wait.resolved_at = datetime.now(UTC)
    rule = engine.rules.get(wait.rule_id)
    anchor = session.get(Message, wait.message_id)
    if rule is None or rule.trigger.kind != "no_reply" or anchor is None:
        wait.state = "dropped"
        return
    if engine.ignored(session, anchor):
        wait.state = "dropped"
        return
    answer = answered_at(session, anchor)
    if answer is not None:
        # A reply stored before the sweep came round needs no follow-up, but
        # one dated after the deadline was not an answer in time.
        wait.state = "answered"
        if answer > wait.due_at:
            report.answered_late += 1
        else:
            report.answered += 1
        return
    reason = unanswerable(session, anchor)
    if reason == "bounced":
        wait.state = "bounced"
        report.bounced += 1
        return
    if reason is not None:
        # Mail to no-reply addresses only was never worth a wait.
        wait.state = "dropped"
        return
    outcomes = engine.evaluate_stored(session, anchor, "no_reply", wait.due_at, (rule,))
    hit = any(outcome.hit for outcome in outcomes)
    wait.state = "fired" if hit else "missed"
    if hit:
        report.fired += 1
    else:
        report.missed += 1


def _schedule(
    database: Database,
    engine: RulesEngine,
    rule: Rule,
    now: datetime,
    report: SweepReport,
) -> None:
    calendar = engine.calendars.for_user(rule.user)
    name = f"schedule:{rule.id}"
    with database.session() as session, session.begin():
        mark = session.get(RuleMark, name)
        if mark is None:
            # A new schedule starts now: it never fires for slots before it existed.
            session.add(RuleMark(name=name, at=now))
            return
        after = mark.at
    assert rule.trigger.cron is not None
    for key, moment in slots(rule.trigger.cron, calendar.zone, after, now):
        if rule.trigger.business_days_only and not calendar.is_business_day(
            calendar.local(moment).date()
        ):
            continue
        try:
            with database.session() as session, session.begin():
                facts = Facts("schedule", moment, calendar)
                event = Event("schedule", f"schedule:{key}", facts)
                outcomes = decide(
                    (rule,), event, engine.history(session, event), engine.calendars
                )
                engine.executor(session).apply(event, outcomes, Subject())
                report.slots += 1
        except Exception:  # one failing slot never stops the sweep
            log.exception("rule %s: schedule slot %s failed", rule.id, key)
            report.failed += 1
    with database.session() as session, session.begin():
        session.get_one(RuleMark, name).at = now
