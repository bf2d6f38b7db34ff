"""The `inbox-crm` entry point: global options, logging and error reporting."""

from __future__ import annotations

import os
import sys

import click

from inbox_crm import __version__
from inbox_crm.cli.activities import (
    activities_group,
    export_activities,
    notifications_group,
)
from inbox_crm.cli.agent import run_command
from inbox_crm.cli.companies import companies_group, export_companies
from inbox_crm.cli.contacts import contacts_group, export_contacts
from inbox_crm.cli.context import AppContext
from inbox_crm.cli.demo import demo_command
from inbox_crm.cli.digest import digest_group
from inbox_crm.cli.importing import import_command
from inbox_crm.cli.linking import (
    ignore_group,
    link_command,
    review_group,
    unlink_command,
)
from inbox_crm.cli.messages import export_group, messages_group
from inbox_crm.cli.outbox import outbox_group
from inbox_crm.cli.outreach import outreach_group
from inbox_crm.cli.quarantine import quarantine_group
from inbox_crm.cli.rules import rules_group
from inbox_crm.cli.setup import init_command
from inbox_crm.cli.status import status_command
from inbox_crm.cli.suppression import suppression_group
from inbox_crm.cli.sync import sync_command
from inbox_crm.cli.tickets import export_tickets, tickets_group
from inbox_crm.errors import ConfigError, InboxCrmError, describe_os_error
from inbox_crm.logs import DECISIONS, WARNINGS, configure_verbosity, report_error

# Commands that run as a service: their log is their output.
SERVICES = {"run"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="inbox-crm")
@click.option(
    "--config",
    "config_option",
    metavar="PATH",
    help="Configuration file [default: $INBOX_CRM_CONFIG or ./inbox-crm.toml].",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More log detail: -v each decision (message stored, contact linked, "
    "rule fired, mail sent), -vv debug detail, -vvv IMAP traffic too. "
    "`run` logs its decisions without -v.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr as text or as JSON objects.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_option: str | None,
    verbose: int,
    quiet: bool,
    log_format: str,
) -> None:
    """inbox-crm keeps your client history current from your mailboxes.

    Start with `inbox-crm init`, fill in a mailbox, then `inbox-crm sync`.
    """
    # A command prints its own summary; the agent's log is all it says.
    default = DECISIONS if ctx.invoked_subcommand in SERVICES else WARNINGS
    configure_verbosity(WARNINGS if quiet else default + verbose, log_format)
    app = AppContext(config_option, quiet=quiet)
    ctx.obj = app
    ctx.call_on_close(app.close)


cli.add_command(init_command)
cli.add_command(sync_command)
cli.add_command(import_command)
cli.add_command(messages_group)
cli.add_command(export_group)
cli.add_command(quarantine_group)
cli.add_command(contacts_group)
cli.add_command(companies_group)
cli.add_command(link_command)
cli.add_command(unlink_command)
cli.add_command(review_group)
cli.add_command(ignore_group)
export_group.add_command(export_contacts)
export_group.add_command(export_companies)
cli.add_command(outreach_group)
cli.add_command(outbox_group)
cli.add_command(suppression_group)
cli.add_command(demo_command)
cli.add_command(run_command)
cli.add_command(status_command)
cli.add_command(digest_group)
cli.add_command(rules_group)
cli.add_command(tickets_group)
cli.add_command(activities_group)
cli.add_command(notifications_group)
export_group.add_command(export_activities)
export_group.add_command(export_tickets)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        # Not a usage mistake: one `error:` line, like every other failure.
        report_error(exc.format_message())
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        report_error(str(exc))
        sys.exit(2)
    except InboxCrmError as exc:
        report_error(str(exc))
        sys.exit(1)
    except BrokenPipeError:
        # Whoever read the output (`| head`) has gone; nothing is wrong here.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except OSError as exc:
        # A file or folder the command had to write or read was refused.
        report_error(f"cannot use {describe_os_error(exc)}")
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
