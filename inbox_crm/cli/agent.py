"""`inbox-crm run`: the always-on agent in the foreground."""

from __future__ import annotations

import asyncio

import click

from inbox_crm.agent.runner import Agent
from inbox_crm.cli.context import AppContext, pass_app
from inbox_crm.ingest.steps import configured_steps


@click.command("run")
@click.option(
    "--mailbox",
    "names",
    multiple=True,
    metavar="NAME",
    help="Only this mailbox (repeatable). Default: every configured mailbox.",
)
@pass_app
def run_command(app: AppContext, names: tuple[str, ...]) -> None:
    """Keep every mailbox synced until stopped with SIGTERM or Ctrl-C.

    New mail is fetched as the server announces it (IMAP IDLE) and on a poll
    every [agent] poll_interval seconds. Several agents may share a database:
    each mailbox is worked by one of them at a time. On SIGTERM or SIGINT the
    batch in hand is stored, and the agent exits 0.
    """
    config = app.config
    mailboxes = [config.mailbox(name) for name in names] or list(
        config.mailboxes.values()
    )
    if not mailboxes:
        raise click.UsageError(f"{config.path} configures no [mailboxes.NAME] yet")
    # Invalid rules stop the agent before it touches any mail.
    steps = configured_steps(config, watch=True)
    agent = Agent(config, app.database, mailboxes, steps=steps)
    asyncio.run(agent.run())
