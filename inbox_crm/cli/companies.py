"""`inbox-crm companies` and `inbox-crm export companies`: the organisations."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from inbox_crm.cli.cards import print_card
from inbox_crm.cli.contacts import EXPORT_FORMAT
from inbox_crm.cli.context import FORMAT_OPTION, AppContext, pass_app, print_json_lines
from inbox_crm.client_card import company_client_card
from inbox_crm.contacts.edit import Changes, edit_company
from inbox_crm.contacts.export import (
    company_record,
    iter_companies,
    write_companies_csv,
)
from inbox_crm.contacts.find import find_company
from inbox_crm.contacts.linker import Linker
from inbox_crm.contacts.models import Company
from inbox_crm.wording import counted


@click.group("companies")
def companies_group() -> None:
    """List and show companies."""


@companies_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@FORMAT_OPTION
@pass_app
def list_command(app: AppContext, limit: int, output_format: str) -> None:
    """Companies by name, with their domains and number of contacts."""
    query = (
        select(Company)
        .options(selectinload(Company.domains), selectinload(Company.contacts))
        .order_by(func.lower(Company.name), Company.id)
        .limit(limit)
    )
    with app.database.reading() as session:
        records = [company_record(company) for company in session.scalars(query)]
    if output_format == "json":
        print_json_lines(records)
        return
    table = Table("id", "name", "domains", "contacts", "tags")
    for record in records:
        table.add_row(
            str(record["id"]),
            record["name"],
            ", ".join(record["domains"]),
            str(len(record["contacts"])),
            ", ".join(record["tags"]),
        )
    Console().print(table)


@companies_group.command("show")
@click.argument("ref")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@FORMAT_OPTION
@pass_app
def show_command(app: AppContext, ref: str, limit: int, output_format: str) -> None:
    """The client card of a company, by id, domain or name.

    Details, domains, contacts, last contact each way, threads awaiting a
    reply, the newest LIMIT messages in and out, and the activities, tickets,
    rule firings and outreach about the company.
    """
    with app.database.reading() as session:
        company = find_company(session, ref)
        card = company_client_card(session, app.config, company, limit)
    print_card(card, output_format)


@companies_group.command("edit")
@click.argument("ref")
@click.option("--name", help="A new name.")
@click.option("--notes", help="Replace the notes.")
@click.option("--tag", "add_tags", multiple=True, help="Add a tag (repeatable).")
@click.option("--untag", "remove_tags", multiple=True, help="Remove a tag.")
@click.option("--add-domain", "add_domains", multiple=True, help="Add a domain.")
@click.option("--remove-domain", "remove_domains", multiple=True, help="Remove one.")
@pass_app
def edit_command(
    app: AppContext,
    ref: str,
    name: str | None,
    notes: str | None,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    add_domains: tuple[str, ...],
    remove_domains: tuple[str, ...],
) -> None:
    """Rename a company, change its tags and notes, add or remove domains.

    Mail already stored from an added domain is linked to the company.
    """
    changes = Changes(
        name=name, notes=notes, add_tags=add_tags, remove_tags=remove_tags
    )
    config = app.config
    with app.database.session() as session, session.begin():
        company = find_company(session, ref)
        edit_company(session, company, changes, add_domains, remove_domains)
        linked = 0
        if add_domains:
            linker = Linker(config.linking, config.own_addresses)
            linked = linker.relink(session).linked
        line = f"company {company.id} ({company.name}) saved"
    click.echo(
        f"{line}; {counted(linked, 'message link')} back-filled"
        if add_domains
        else line
    )


@click.command("companies")
@EXPORT_FORMAT
@pass_app
def export_companies(app: AppContext, output_format: str) -> None:
    """Every company, by id: JSON Lines (default) or CSV.

    JSON keys: id, name, domains, tags, notes, source, created_at, contacts
    (their ids).
    """
    with app.database.reading() as session:
        companies = iter_companies(session)
        if output_format == "csv":
            count = write_companies_csv(companies, sys.stdout)
        else:
            count = print_json_lines(company_record(c) for c in companies)
    click.echo(f"{counted(count, 'company')} exported", err=True)
