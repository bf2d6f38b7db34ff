"""Adding and snoozing activities by hand: what is refused, and how it is said."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from inbox_crm.cli.main import cli
from inbox_crm.contacts.models import Company, Contact, ContactAddress
from inbox_crm.storage.db import open_database
from inbox_crm.storage.tracking import Activity
from tests.cli.test_rules_commands import home, lines, run

__all__ = ["home"]


def add_contact(home: Path) -> int:
    """Ann of Client Ltd, with her address; returns her contact id."""
    database = open_database(f"sqlite:///{home / 'inbox-crm.db'}")
    try:
        with database.session() as session, session.begin():
            company = Company(name="Client Ltd")
            contact = Contact(name="Ann Client", company=company)
            contact.addresses.append(
                ContactAddress(
                    address="ann@client.example",
                    folded="ann@client.example",
                    primary=True,
                )
            )
            session.add(contact)
            session.flush()
            return contact.id
    finally:
        database.dispose()


def activities(home: Path) -> list[Activity]:
    database = open_database(f"sqlite:///{home / 'inbox-crm.db'}")
    try:
        with database.session() as session:
            found = list(session.scalars(select(Activity).order_by(Activity.id)))
            session.expunge_all()
            return found
    finally:
        database.dispose()


def refusal(result: Result) -> str:
    """What the command said when it refused; it must have exited non-zero."""
    assert result.exit_code != 0, result.output
    return str(result.exception) + result.output


def test_an_activity_for_an_unknown_contact_is_an_error_not_a_traceback(
    home: Path,
) -> None:
    config = home / "inbox-crm.toml"
    args = ["--config", str(config), "activities", "add", "--title", "Call"]

    result = subprocess.run(
        [sys.executable, "-m", "inbox_crm", *args, "--contact", "999"],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: no contact '999': give a contact id or one of its addresses "
        "(see `inbox-crm contacts list`)"
    )
    assert activities(home) == []


def test_an_activity_for_a_contact_is_about_its_company_too(home: Path) -> None:
    contact_id = add_contact(home)

    by_id = run(home, "activities", "add", "--title", "Call", "--contact", "1")
    by_address = run(
        home, "activities", "add", "--title", "Mail", "--contact", "ann@client.example"
    )

    assert by_id.exit_code == 0, by_id.output
    assert by_address.exit_code == 0, by_address.output
    exported = lines(run(home, "export", "activities"))
    assert [(a["contact_id"], a["company_id"]) for a in exported] == [
        (contact_id, 1),
        (contact_id, 1),
    ]


def test_an_activity_without_a_title_is_refused(home: Path) -> None:
    for title in ("", "   ", "\t\n"):
        result = run(home, "activities", "add", "--title", title)

        assert "an activity needs a title" in refusal(result)
    assert activities(home) == []


def test_a_title_is_stored_without_its_surrounding_blanks(home: Path) -> None:
    run(home, "activities", "add", "--title", "  Call Ann  ")

    assert [a.title for a in activities(home)] == ["Call Ann"]


def test_an_unknown_user_is_refused_with_the_known_ones(home: Path) -> None:
    commands = [
        ("activities", "add", "--title", "Call", "--assignee", "bob"),
        ("activities", "list", "--assignee", "bob"),
        ("activities", "list", "--user", "bob"),
        ("notifications", "list", "--user", "bob"),
    ]
    for command in commands:
        said = refusal(run(home, *command))

        assert "no user named 'bob' (configured: maya)" in said, command
    run(home, "activities", "add", "--title", "Call")
    said = refusal(run(home, "activities", "snooze", "1", "--for", "1d", "--user", "x"))
    assert "no user named 'x' (configured: maya)" in said
    assert [a.title for a in activities(home)] == ["Call"]


def test_a_known_user_is_accepted(home: Path) -> None:
    result = run(home, "activities", "add", "--title", "Call", "--assignee", "maya")

    assert result.exit_code == 0, result.output
    assert [a.assignee for a in activities(home)] == ["maya"]


def test_a_done_activity_cannot_be_snoozed(home: Path) -> None:
    run(home, "activities", "add", "--title", "Call")
    run(home, "activities", "done", "1")

    for how in (("--for", "2 days"), ("--until", "2099-01-05")):
        said = refusal(run(home, "activities", "snooze", "1", *how))

        assert "activity 1 is done, so there is nothing to snooze" in said
    [activity] = activities(home)
    assert (activity.due_at, activity.snoozes) == (None, 0)


def test_an_activity_cannot_be_snoozed_to_a_past_time(home: Path) -> None:
    run(home, "activities", "add", "--title", "Call", "--due", "2 days")
    [before] = activities(home)

    said = refusal(run(home, "activities", "snooze", "1", "--until", "2020-01-06"))

    assert "cannot be snoozed to 2020-01-06 09:00 CET: that time has passed" in said
    [after] = activities(home)
    assert (after.due_at, after.snoozes) == (before.due_at, 0)


def test_the_due_column_names_the_timezone_its_times_are_in(home: Path) -> None:
    run(home, "activities", "add", "--title", "Call", "--due", "2 days")

    result = CliRunner().invoke(
        cli,
        ["--config", str(home / "inbox-crm.toml"), "activities", "list"],
        terminal_width=160,
    )

    assert result.exit_code == 0, result.output
    assert "due (Europe/Berlin)" in result.output
