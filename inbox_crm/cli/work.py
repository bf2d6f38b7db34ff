"""What the commands on tickets and activities share: lookups and rule runs."""

from __future__ import annotations

import logging

import click
from sqlalchemy.orm import Session

from inbox_crm.cli.context import AppContext
from inbox_crm.errors import NotFoundError
from inbox_crm.rules.hook import configured_engine
from inbox_crm.rules.problems import RuleSetError
from inbox_crm.storage.tracking import Ticket
from inbox_crm.tickets.service import Tickets
from inbox_crm.tickets.tokens import parse_label
from inbox_crm.wording import counted

log = logging.getLogger(__name__)


def find_ticket(app: AppContext, session: Session, label: str) -> Ticket:
    prefix = app.config.tickets.prefix
    number = parse_label(label, prefix)
    ticket = Tickets(session, prefix).by_number(number) if number is not None else None
    if ticket is None:
        raise NotFoundError(
            f"no ticket {label!r} (numbers look like {prefix}-12; "
            "see `inbox-crm tickets list`)"
        )
    return ticket


def run_ticket_rules(app: AppContext, session: Session) -> None:
    """Let ticket_changed rules see a change made by hand, when the rules load."""
    try:
        engine = configured_engine(app.config)
    except RuleSetError as exc:
        click.echo(
            f"warning: ticket rules not run, the rule files are invalid "
            f"({counted(len(exc.problems), 'problem')}); `inbox-crm rules sweep` "
            "runs them once they are fixed",
            err=True,
        )
        return
    engine.evaluate_ticket_events(session)
