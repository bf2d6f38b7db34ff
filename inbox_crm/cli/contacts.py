"""`inbox-crm contacts` and `inbox-crm export contacts`: the people in the history."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from inbox_crm.cli.cards import print_card
from inbox_crm.cli.context import (
    FORMAT_OPTION,
    AppContext,
    check_user,
    pass_app,
    print_json_lines,
)
from inbox_crm.client_card import contact_client_card
from inbox_crm.contacts.csvfile import FIELDS, read_csv
from inbox_crm.contacts.edit import Changes, edit_contact
from inbox_crm.contacts.export import (
    contact_record,
    iter_contacts,
    write_contacts_csv,
)
from inbox_crm.contacts.find import find_company, find_contact
from inbox_crm.contacts.importer import import_records
from inbox_crm.contacts.linker import Linker
from inbox_crm.contacts.merge import merge_contacts
from inbox_crm.contacts.models import Contact, ParticipantLink
from inbox_crm.contacts.records import ContactRecord
from inbox_crm.contacts.vcard import read_vcards
from inbox_crm.storage.models import Participant
from inbox_crm.wording import counted

EXPORT_FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: JSON Lines, one object a line; csv: a header row, then rows.",
)


@click.group("contacts")
def contacts_group() -> None:
    """Import, list, show and merge contacts."""


@contacts_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="HEADER=FIELD",
    help="Read a CSV column as a field (repeatable). Fields: " + ", ".join(FIELDS),
)
@pass_app
def import_command(app: AppContext, path: Path, mappings: tuple[str, ...]) -> None:
    """Import contacts from a CSV (with a header row) or a vCard (.vcf) file.

    Columns are recognised by name in any case (name or first/last name,
    email columns or addresses separated by ";", company, domain or website,
    phone, tags, owner, notes); other columns become custom fields. HubSpot
    and Google Contacts exports work as they come. A person already known by
    one of the addresses is updated, not duplicated. A bad row stops the
    import with its line number, and nothing is imported. Links on stored
    messages are back-filled.
    """
    records = _read(path, _mapping(mappings))
    config = app.config
    linker = Linker(config.linking, config.own_addresses)
    with app.database.session() as session, session.begin():
        result = import_records(session, records, path, linker)
    click.echo(
        f"{path}: {counted(result.created, 'new contact')}, "
        f"{result.updated} updated, {result.unchanged} unchanged, "
        f"{result.merged} merged, "
        f"{counted(result.companies_created, 'new company')}, "
        f"{counted(result.links_changed, 'message link')} back-filled"
    )


@contacts_group.command("list")
@click.option("--company", metavar="REF", help="Only this company (id or domain).")
@click.option("--tag", help="Only contacts with this tag.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@FORMAT_OPTION
@pass_app
def list_command(
    app: AppContext,
    company: str | None,
    tag: str | None,
    limit: int,
    output_format: str,
) -> None:
    """Contacts by name, with their company and number of messages."""
    with app.database.reading() as session:
        query = select(Contact).options(
            selectinload(Contact.addresses), selectinload(Contact.company)
        )
        if company is not None:
            query = query.where(Contact.company_id == find_company(session, company).id)
        contacts = [
            c
            for c in session.scalars(
                query.order_by(func.lower(Contact.name), Contact.id)
            )
            if tag is None or tag in (c.tags or [])
        ][:limit]
        counts = _message_counts(session, [c.id for c in contacts])
        records = []
        for contact in contacts:
            record = contact_record(contact)
            record["message_count"] = counts.get(contact.id, 0)
            records.append(record)
    if output_format == "json":
        print_json_lines(records)
        return
    table = Table("id", "name", "address", "company", "tags", "messages")
    for record in records:
        table.add_row(
            str(record["id"]),
            record["name"],
            record["address"] or "",
            (record["company"] or {}).get("name", ""),
            ", ".join(record["tags"]),
            str(record["message_count"]),
        )
    Console().print(table)


@contacts_group.command("show")
@click.argument("ref")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@FORMAT_OPTION
@pass_app
def show_command(app: AppContext, ref: str, limit: int, output_format: str) -> None:
    """The client card of a contact, by id or address.

    Details, addresses, last contact each way, threads awaiting a reply, the
    newest LIMIT messages in and out, and the activities, tickets, rule
    firings and outreach about the contact.
    """
    with app.database.reading() as session:
        contact = find_contact(session, ref)
        card = contact_client_card(session, app.config, contact, limit)
    print_card(card, output_format)


@contacts_group.command("merge")
@click.argument("keep")
@click.argument("other")
@pass_app
def merge_command(app: AppContext, keep: str, other: str) -> None:
    """Merge contact OTHER into KEEP (ids or addresses).

    Every address and message link of OTHER moves to KEEP; tags and phones
    are combined; KEEP's name, company and fields win where both have one.
    """
    with app.database.session() as session, session.begin():
        kept = find_contact(session, keep)
        gone = find_contact(session, other)
        gone_id = gone.id
        merge_contacts(session, kept, gone)
        addresses = ", ".join(a.address for a in kept.addresses)
    click.echo(f"contact {gone_id} merged into {kept.id} ({kept.name}): {addresses}")


@contacts_group.command("edit")
@click.argument("ref")
@click.option("--name", help="A new name.")
@click.option("--company", metavar="REF", help="Move to this company (id or domain).")
@click.option(
    "--owner",
    help="Who looks after the contact: a configured user ('' for no one).",
)
@click.option("--notes", help="Replace the notes.")
@click.option("--tag", "add_tags", multiple=True, help="Add a tag (repeatable).")
@click.option("--untag", "remove_tags", multiple=True, help="Remove a tag.")
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="Set a custom field (repeatable); KEY= removes it.",
)
@click.option("--primary", metavar="ADDRESS", help="Make this address the primary.")
@pass_app
def edit_command(
    app: AppContext,
    ref: str,
    name: str | None,
    company: str | None,
    owner: str | None,
    notes: str | None,
    add_tags: tuple[str, ...],
    remove_tags: tuple[str, ...],
    fields: tuple[str, ...],
    primary: str | None,
) -> None:
    """Change a contact's name, company, owner, notes, tags or custom fields."""
    check_user(app.config, "--owner", owner.strip() if owner else None)
    changes = Changes(name, owner, notes, add_tags, remove_tags, _pairs(fields))
    with app.database.session() as session, session.begin():
        contact = find_contact(session, ref)
        moved_to = find_company(session, company) if company else None
        edit_contact(session, contact, changes, moved_to, primary)
        line = f"contact {contact.id} ({contact.name}) saved"
    click.echo(line)


@contacts_group.command("relink")
@click.option(
    "--all", "everything", is_flag=True, help="Decide every automatic link afresh."
)
@pass_app
def relink_command(app: AppContext, everything: bool) -> None:
    """Link stored messages again, after a settings change or an upgrade.

    Manual links are kept. Without --all, only participants without a
    contact are tried; nothing new is created.
    """
    config = app.config
    linker = Linker(config.linking, config.own_addresses)
    with app.database.session() as session, session.begin():
        result = linker.relink(session, only_unlinked=not everything)
    methods = ", ".join(f"{m} {n}" for m, n in sorted(result.methods.items()))
    click.echo(
        f"{counted(result.linked, 'participant')} linked ({methods or 'none'}), "
        f"{result.reviews_queued} queued for review"
    )


@click.command("contacts")
@EXPORT_FORMAT
@pass_app
def export_contacts(app: AppContext, output_format: str) -> None:
    """Every contact, by id: JSON Lines (default) or CSV.

    JSON keys: id, name, address (primary), addresses [{address, primary,
    source}], company {id, name}, owner, tags, phones, notes,
    custom_fields, source, created_at. The CSV imports back.
    """
    with app.database.reading() as session:
        contacts = iter_contacts(session)
        if output_format == "csv":
            count = write_contacts_csv(contacts, sys.stdout)
        else:
            count = print_json_lines(contact_record(c) for c in contacts)
    click.echo(f"{counted(count, 'contact')} exported", err=True)


def _read(path: Path, mapping: dict[str, str]) -> list[ContactRecord]:
    if path.suffix.lower() in (".vcf", ".vcard"):
        return read_vcards(path)
    return read_csv(path, mapping)


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{value!r}: write KEY=VALUE", param_hint="--field"
            )
        pairs[key.strip()] = text.strip()
    return pairs


def _mapping(values: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for value in values:
        header, sep, field = value.rpartition("=")
        if not sep or not header.strip():
            raise click.BadParameter(
                f"{value!r}: write HEADER=FIELD, like 'Work Email=email'",
                param_hint="--map",
            )
        mapping[header.strip()] = field.strip().lower()
    return mapping


def _message_counts(session: Session, contact_ids: list[int]) -> dict[int, int]:
    if not contact_ids:
        return {}
    query = (
        select(
            ParticipantLink.contact_id,
            func.count(func.distinct(Participant.message_id)),
        )
        .join(Participant, Participant.id == ParticipantLink.participant_id)
        .where(ParticipantLink.contact_id.in_(contact_ids))
        .group_by(ParticipantLink.contact_id)
    )
    return {contact: count for contact, count in session.execute(query) if contact}
