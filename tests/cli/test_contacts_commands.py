"""The contacts, companies, link, review, ignore and export commands, end to end."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inbox_crm.cli.main import cli
from inbox_crm.errors import ContactError, ContactImportError
from tests.mailfactory import make_message

CONTACTS = """\
First Name,Last Name,E-mail Address,Company,Website,Labels
Ada,Byron,ada@acme.co.uk;ada.byron@gmail.com,Acme,https://acme.co.uk,vip
Daniel,Cho,daniel@northwind.example,Northwind,northwind.example,
"""

Run = Callable[..., Result]


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> Run:
    config = tmp_path / "inbox-crm.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        "[mailboxes.work]\n"
        'host = "127.0.0.1"\nsecurity = "none"\n'
        'username = "maya@agency.example"\npassword_env = "UNUSED"\n',
        encoding="utf-8",
    )

    def invoke(*args: str, ok: bool = True) -> Result:
        result = CliRunner().invoke(cli, ["-q", "--config", str(config), *args])
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


@pytest.fixture
def imported(run: Run, tmp_path: Path) -> Run:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8")
    result = run("contacts", "import", str(path))
    assert "2 new contacts" in result.output
    return run


def lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def mail_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    messages = [
        ("Ada <ada.byron@gmail.com>", "Maya <maya@agency.example>", "Plans"),
        ("Maya <maya@agency.example>", "Ada <ada@acme.co.uk>", "Re: Plans"),
        ("Dan Cho <dc@northwind.example>", "maya@agency.example", "Hello"),
    ]
    for number, (sender, to, subject) in enumerate(messages):
        raw = make_message(
            sender=sender, to=to, subject=subject, message_id=f"<cli{number}@x>"
        )
        (folder / f"{number}.eml").write_bytes(raw)
    return folder


def test_import_list_show_and_export_contacts(imported: Run, tmp_path: Path) -> None:
    listed = lines(imported("contacts", "list", "--format", "json"))
    assert [(c["name"], c["address"]) for c in listed] == [
        ("Ada Byron", "ada@acme.co.uk"),
        ("Daniel Cho", "daniel@northwind.example"),
    ]
    card = json.loads(
        imported("contacts", "show", "ada.byron@gmail.com", "--format", "json").stdout
    )
    assert (card["name"], card["company"]["name"], card["tags"]) == (
        "Ada Byron",
        "Acme",
        ["vip"],
    )
    assert "Ada Byron" in imported("contacts", "show", "ada@acme.co.uk").stdout

    exported = lines(imported("export", "contacts"))
    assert [c["name"] for c in exported] == ["Ada Byron", "Daniel Cho"]
    as_csv = imported("export", "contacts", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert rows[0]["email"] == "ada@acme.co.uk; ada.byron@gmail.com"
    again = tmp_path / "again.csv"
    again.write_text(as_csv, encoding="utf-8")
    assert (
        "0 new contacts, 0 updated, 2 unchanged"
        in imported("contacts", "import", str(again)).output
    )


def test_companies_list_show_and_export(imported: Run) -> None:
    listed = lines(imported("companies", "list", "--format", "json"))
    assert [(c["name"], c["domains"]) for c in listed] == [
        ("Acme", ["acme.co.uk"]),
        ("Northwind", ["northwind.example"]),
    ]
    card = json.loads(
        imported("companies", "show", "mail.acme.co.uk", "--format", "json").stdout
    )
    assert [c["name"] for c in card["contacts"]] == ["Ada Byron"]
    rows = list(
        csv.reader(
            io.StringIO(imported("export", "companies", "--format", "csv").stdout)
        )
    )
    assert rows[0] == ["id", "name", "domain", "tags", "notes"]
    assert [row[1] for row in rows[1:]] == ["Acme", "Northwind"]
    assert [c["name"] for c in lines(imported("export", "companies"))] == [
        "Acme",
        "Northwind",
    ]


def test_imported_mail_is_linked_and_exported_with_its_links(
    imported: Run, tmp_path: Path
) -> None:
    imported("import", str(mail_folder(tmp_path)), "--mailbox", "work")

    messages = {m["subject"]: m for m in lines(imported("export", "messages"))}

    sender = messages["Plans"]["from"]
    assert sender["contact"]["name"] == "Ada Byron"  # type: ignore[index]
    assert sender["company"] == {"id": 1, "name": "Acme"}  # type: ignore[index]
    assert sender["match"] == {"method": "secondary", "score": 1.0}  # type: ignore[index]
    [recipient] = messages["Re: Plans"]["to"]  # type: ignore[misc]
    assert recipient["match"]["method"] == "exact"
    card = json.loads(imported("contacts", "show", "1", "--format", "json").stdout)
    assert card["message_count"] == 2


def test_review_accept_and_reject_from_the_command_line(
    imported: Run, tmp_path: Path
) -> None:
    imported("import", str(mail_folder(tmp_path)), "--mailbox", "work")

    [item] = lines(imported("review", "list", "--format", "json"))
    assert (item["address"], item["contact"]["name"]) == (  # type: ignore[index]
        "dc@northwind.example",
        "Daniel Cho",
    )
    table = imported("review", "list").stdout
    assert "dc@northwind.example" in table
    # A score of 0 to 1 shows as a whole percentage.
    assert f"{round(item['score'] * 100)}%" in table  # type: ignore[operator]
    accepted = imported("review", "accept", str(item["id"]))
    assert "1 participant linked" in accepted.output
    assert lines(imported("review", "list", "--format", "json")) == []
    refused = imported("review", "reject", str(item["id"]), ok=False)
    assert "already accepted" in str(refused.exception)


def test_link_unlink_and_merge_from_the_command_line(
    imported: Run, tmp_path: Path
) -> None:
    imported("import", str(mail_folder(tmp_path)), "--mailbox", "work")
    messages = {m["subject"]: m["id"] for m in lines(imported("export", "messages"))}

    linked = imported(
        "link", str(messages["Hello"]), "--contact", "daniel@northwind.example"
    )
    assert "1 participant linked by hand" in linked.output
    assert (
        "linked by hand"
        in imported("link", "helper@freelance.example", "--company", "Acme").output
    )
    unlinked = imported("unlink", "ada.byron@gmail.com")
    assert "1 participant unlinked" in unlinked.output
    imported("link", "ada.byron@gmail.com", "--contact", "daniel@northwind.example")
    merged = imported("contacts", "merge", "ada@acme.co.uk", "daniel@northwind.example")
    assert "merged into 1" in merged.output

    [contact] = lines(imported("contacts", "list", "--format", "json"))
    assert {a["address"] for a in contact["addresses"]} == {  # type: ignore[attr-defined]
        "ada@acme.co.uk",
        "daniel@northwind.example",
        "ada.byron@gmail.com",
    }
    usage = imported("link", "ada@acme.co.uk", ok=False)
    assert usage.exit_code == 2


def test_ignore_add_list_purge_and_remove(imported: Run, tmp_path: Path) -> None:
    imported("import", str(mail_folder(tmp_path)), "--mailbox", "work")

    purged = imported("ignore", "add", "northwind.example", "--purge")
    assert "purged 1 message," in purged.output
    assert [
        e["value"] for e in lines(imported("ignore", "list", "--format", "json"))
    ] == ["northwind.example"]
    assert "Northwind" not in imported("companies", "list").stdout
    imported("ignore", "remove", "northwind.example")
    missing = imported("ignore", "remove", "northwind.example", ok=False)
    assert "not on the ignore list" in missing.output
    assert "participants linked" in imported("contacts", "relink", "--all").output


def test_a_bad_row_is_reported_with_its_line(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Name,Email\nAda,ada@acme.co.uk\nBen,ben@\n", encoding="utf-8")

    result = run("contacts", "import", str(path), ok=False)

    assert isinstance(result.exception, ContactImportError)
    assert f"{path}:3" in str(result.exception)
    assert lines(run("contacts", "list", "--format", "json")) == []
    bad_map = run("contacts", "import", str(path), "--map", "Email", ok=False)
    assert bad_map.exit_code == 2 and "HEADER=FIELD" in bad_map.output


def test_editing_contacts_and_companies(imported: Run, tmp_path: Path) -> None:
    imported("import", str(mail_folder(tmp_path)), "--mailbox", "work")

    imported(
        "contacts",
        "edit",
        "ada@acme.co.uk",
        "--name",
        "Ada King",
        "--tag",
        "board",
        "--untag",
        "vip",
        "--field",
        "tier=gold",
        "--primary",
        "ada.byron@gmail.com",
    )
    saved = imported(
        "companies",
        "edit",
        "Acme",
        "--name",
        "Acme Ltd",
        "--add-domain",
        "acme-labs.com",
    )
    assert "message link" in saved.output and "back-filled" in saved.output

    card = json.loads(imported("contacts", "show", "1", "--format", "json").stdout)
    assert (card["name"], card["address"], card["tags"]) == (
        "Ada King",
        "ada.byron@gmail.com",
        ["board"],
    )
    assert card["custom_fields"] == {"tier": "gold"}
    assert card["company"]["name"] == "Acme Ltd"
    bad = imported("contacts", "edit", "1", "--field", "oops", ok=False)
    assert bad.exit_code == 2


@pytest.mark.parametrize("noun, ref", [("contacts", "1"), ("companies", "Acme")])
@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_name_is_refused_and_the_name_kept(
    imported: Run, noun: str, ref: str, name: str
) -> None:
    refused = imported(noun, "edit", ref, "--name", name, ok=False)

    assert isinstance(refused.exception, ContactError)
    assert "name cannot be blank" in str(refused.exception)
    shown = json.loads(imported(noun, "show", ref, "--format", "json").stdout)
    assert shown["name"] == ("Ada Byron" if noun == "contacts" else "Acme")


def test_an_owner_must_be_a_configured_user(imported: Run, tmp_path: Path) -> None:
    with (tmp_path / "inbox-crm.toml").open("a", encoding="utf-8") as config:
        config.write("\n[users.maya]\n")

    refused = imported("contacts", "edit", "1", "--owner", "nobody", ok=False)
    imported("contacts", "edit", "2", "--owner", "maya")
    imported("contacts", "edit", "1", "--owner", "")

    assert refused.exit_code == 2
    assert "no user named 'nobody' (configured: maya)" in refused.output
    owners = lines(imported("contacts", "list", "--format", "json"))
    assert [c.get("owner") for c in owners] == [None, "maya"]


@pytest.mark.parametrize(
    "command",
    [
        ["contacts", "edit"],
        ["companies", "edit"],
        ["contacts", "import"],
        ["contacts", "list"],
        ["contacts", "show"],
        ["contacts", "merge"],
        ["contacts", "relink"],
        ["companies", "list"],
        ["companies", "show"],
        ["link"],
        ["unlink"],
        ["review", "list"],
        ["review", "accept"],
        ["review", "reject"],
        ["ignore", "add"],
        ["ignore", "list"],
        ["ignore", "remove"],
        ["export", "contacts"],
        ["export", "companies"],
        ["export", "messages"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])

    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_quoted_cells_survive_import_and_every_round_trip(
    run: Run, tmp_path: Path, delimiter: str
) -> None:
    note = 'Met at Formex; prefers "Zoë", said "call me" twice'
    rows = [["Name", "E-mail", "Notes"], ["Zoë Adler", "zoe@adler.example", note]]
    first = tmp_path / "first.csv"
    with first.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, delimiter=delimiter).writerows(rows)

    run("contacts", "import", str(first))
    for round_trip in range(3):
        exported = run("export", "contacts", "--format", "csv").stdout
        again = tmp_path / f"again-{round_trip}.csv"
        again.write_text(exported, encoding="utf-8")
        run("contacts", "import", str(again))

    (record,) = lines(run("export", "contacts"))
    assert record["notes"] == note


def test_import_counts_say_only_what_changed(run: Run, tmp_path: Path) -> None:
    run("import", str(mail_folder(tmp_path)))
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="utf-8")
    first = run("contacts", "import", str(path)).output
    card = tmp_path / "eve.vcf"
    card.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Eve Quiet\nEMAIL:eve@nomail.example\nEND:VCARD\n",
        encoding="utf-8",
    )

    again = run("contacts", "import", str(path)).output
    no_mail = run("contacts", "import", str(card)).output

    assert "2 message links back-filled" in first
    assert "0 new contacts, 0 updated, 2 unchanged, 0 merged" in again
    assert "0 message links back-filled" in again
    assert "1 new contact, 0 updated, 0 unchanged" in no_mail
    assert "0 message links back-filled" in no_mail


@pytest.mark.parametrize(
    ("domain", "says"),
    [
        ("not a domain", "'not a domain' is not a domain (like acme.com)"),
        ("localhost", "'localhost' is not a domain"),
        ("gmail.com", "'gmail.com' is a free-mail domain"),
    ],
)
def test_a_company_domain_refusal_says_what_is_wrong(
    imported: Run, domain: str, says: str
) -> None:
    result = imported("companies", "edit", "Acme", "--add-domain", domain, ok=False)

    assert result.exit_code != 0
    assert says in str(result.exception)
