"""Importing contacts from CSV and vCard: recognised columns, errors, back-fill."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from inbox_crm.contacts.csvfile import field_of, read_csv
from inbox_crm.contacts.importer import import_records
from inbox_crm.contacts.vcard import read_vcards
from inbox_crm.errors import ContactImportError
from tests.contacts.conftest import Mail, Seen

FILES = Path(__file__).parent / "files"


def by_name(mail: Mail) -> dict[str, object]:
    return {contact.name: contact for contact in mail.contacts()}


def import_file(mail: Mail, path: Path, mapping: dict[str, str] | None = None) -> None:
    if path.suffix == ".vcf":
        records = read_vcards(path)
    else:
        records = read_csv(path, mapping or {})
    with mail.database.session() as session, session.begin():
        import_records(session, records, path, mail.linker)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("EMAIL", "email"),
        ("E-mail 1 - Value", "email"),
        ("E-mail 1 - Label", "ignore"),
        ("Additional email addresses", "email"),
        ("Work Email", "email"),
        ("first_name", "first_name"),
        ("Last Name", "last_name"),
        ("Organization Name", "company"),
        ("Website URL", "domain"),
        ("Mobile Phone Number", "phone"),
        ("Labels", "tags"),
        ("Contact owner", "owner"),
        ("Lifecycle Stage", None),
        ("Create Date", None),
    ],
)
def test_columns_are_recognised_by_name_in_any_case(
    header: str, field: str | None
) -> None:
    assert field_of(header) == field


def test_a_plain_csv_with_several_addresses_and_company_rows(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(
        tmp_path,
        "name,EMAIL,company,domain,phone,tags\n"
        "Ada Byron,ada@acme.co.uk; ada.byron@gmail.com,Acme,acme.co.uk,+44 1,"
        "vip; board\n"
        "Ben Okoro,ben@acme-labs.com,ACME,acme-labs.com,,\n",
    )

    contacts = by_name(mail)
    ada = contacts["Ada Byron"]
    assert [a.address for a in ada.addresses] == [  # type: ignore[attr-defined]
        "ada@acme.co.uk",
        "ada.byron@gmail.com",
    ]
    assert ada.tags == ["vip", "board"]  # type: ignore[attr-defined]
    assert ada.phones == ["+44 1"]  # type: ignore[attr-defined]
    [company] = mail.companies()
    assert company.name == "Acme"
    assert [d.domain for d in company.domains] == ["acme.co.uk", "acme-labs.com"]
    assert {c.name for c in company.contacts} == {"Ada Byron", "Ben Okoro"}


def test_a_hubspot_export_works_as_it_comes(mail: Mail) -> None:
    import_file(mail, FILES / "hubspot.csv")

    contacts = by_name(mail)
    assert set(contacts) == {"Ada Byron", "Ben Okoro", "Chiara Rossi"}
    ada = contacts["Ada Byron"]
    assert [a.address for a in ada.addresses] == [  # type: ignore[attr-defined]
        "ada@acme.co.uk",
        "ada.byron@gmail.com",
        "ab@acme-labs.com",
    ]
    assert ada.owner == "maya@agency.example"  # type: ignore[attr-defined]
    assert ada.custom_fields == {  # type: ignore[attr-defined]
        "Record ID": "5101",
        "Lifecycle Stage": "customer",
        "Create Date": "2025-03-04 10:22",
    }
    assert {c.name: [d.domain for d in c.domains] for c in mail.companies()} == {
        "Acme": ["acme.co.uk"],
        "Rossi Design": ["rossi-design.it"],
    }


def test_a_google_contacts_export_works_as_it_comes(mail: Mail) -> None:
    import_file(mail, FILES / "google.csv")

    contacts = by_name(mail)
    assert set(contacts) == {"Jürgen Weiß", "Sabine M. Hofer"}
    jurgen = contacts["Jürgen Weiß"]
    assert [a.address for a in jurgen.addresses] == [  # type: ignore[attr-defined]
        "j.weiss@weiss-partner.de",
        "juergen.weiss@web.de",
    ]
    assert jurgen.tags == ["Clients"]  # type: ignore[attr-defined]
    assert jurgen.notes == "Prefers calls in the morning"  # type: ignore[attr-defined]
    assert jurgen.custom_fields == {  # type: ignore[attr-defined]
        "Organization Title": "Managing Partner"
    }
    sabine = contacts["Sabine M. Hofer"]
    assert len(sabine.addresses) == 2  # type: ignore[attr-defined]
    assert sabine.tags == ["Clients", "Design"]  # type: ignore[attr-defined]
    [company] = mail.companies()
    assert (company.name, [d.domain for d in company.domains]) == (
        "Weiss & Partner",
        ["weiss-partner.de"],
    )


@pytest.mark.parametrize("name", ["cards-v3.vcf", "cards-v4.vcf"])
def test_vcards_of_both_versions_are_read(mail: Mail, name: str) -> None:
    import_file(mail, FILES / name)

    contacts = by_name(mail)
    if name == "cards-v3.vcf":
        lena = contacts["Lena Brooks"]
        assert [a.address for a in lena.addresses] == [  # type: ignore[attr-defined]
            "lena.brooks@harborhealth.example",
            "lena.b@gmail.com",
        ]
        assert lena.tags == ["Clients", "Healthcare"]  # type: ignore[attr-defined]
        assert lena.company.name == "Harbor Health"  # type: ignore[attr-defined]
        assert "Erik Sand" in contacts
    else:
        priya = contacts["Priya Raman"]
        assert priya.company.name == "Northwind"  # type: ignore[attr-defined]
        assert priya.phones == ["tel:+1-555-0142"]  # type: ignore[attr-defined]


def test_map_reads_other_headers(mail: Mail, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Person;Reach me at;Firm\nAda Byron;ada@acme.co.uk;Acme\n")

    import_file(
        mail, path, {"Person": "name", "Reach me at": "email", "Firm": "company"}
    )

    [contact] = mail.contacts()
    assert (contact.name, contact.primary_address) == ("Ada Byron", "ada@acme.co.uk")
    assert contact.company is not None and contact.company.name == "Acme"


def test_a_bad_row_names_its_line_and_nothing_is_imported(
    mail: Mail, tmp_path: Path
) -> None:
    text = (
        "Name,Email\n"
        "Ada Byron,ada@acme.co.uk\n"
        '"Ben, with a comma",ben@acme.co.uk\n'
        "Cy,not-an-address\n"
    )

    with pytest.raises(ContactImportError, match=r"\.csv:4: column 'Email'.*not-an"):
        mail.import_csv(tmp_path, text)

    assert mail.contacts() == []


def test_a_conflict_found_while_storing_leaves_nothing_half_imported(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(
        tmp_path, "Name,Email,Company,Domain\nAda,ada@acme.co.uk,Acme,acme.co.uk\n"
    )
    before = [(c.name, c.primary_address) for c in mail.contacts()]

    with pytest.raises(ContactImportError, match=r":3: acme.co.uk already belongs"):
        mail.import_csv(
            tmp_path,
            "Name,Email,Company,Domain\n"
            "New Person,new@elsewhere.example,Elsewhere,elsewhere.example\n"
            "Bad Row,bad@other.example,Other,acme.co.uk\n",
        )

    assert [(c.name, c.primary_address) for c in mail.contacts()] == before
    assert [c.name for c in mail.companies()] == ["Acme"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no header row"),
        ("Phone,Notes\n1,2\n", "no column holds a name or an email"),
        ("Name,Email\nAda,a@b.example,extra\n", ":2: 3 cells but the header has 2"),
        ("Name,Email\n,\n,\nNobody here,\n ,x@y.example\n", None),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    mail: Mail, tmp_path: Path, text: str, message: str | None
) -> None:
    if message is None:
        mail.import_csv(tmp_path, text)
        assert {c.name or c.primary_address for c in mail.contacts()} == {
            "Nobody here",
            "x@y.example",
        }
        return
    with pytest.raises(ContactImportError, match=message):
        mail.import_csv(tmp_path, text)


def test_importing_back_fills_links_on_stored_mail(
    make_mail: Callable[..., Mail], tmp_path: Path
) -> None:
    mail = make_mail(create_contacts="never")
    first = mail.receive("Ada <ada@acme.co.uk>")
    second = mail.receive("Ada B <ada.byron@gmail.com>")
    colleague = mail.receive("Bob <bob@mail.acme.co.uk>")
    assert mail.link(first, "ada@acme.co.uk") == Seen(None, None, None, None)

    result = mail.import_csv(
        tmp_path,
        "Name,Email,Company,Website\n"
        "Ada Byron,ada@acme.co.uk;ada.byron@gmail.com,Acme,acme.co.uk\n",
    )

    assert mail.link(first, "ada@acme.co.uk") == Seen("exact", 1.0, "Ada Byron", "Acme")
    assert mail.link(second, "ada.byron@gmail.com").method == "secondary"
    assert mail.link(colleague, "bob@mail.acme.co.uk") == Seen(
        "domain", 1.0, None, "Acme"
    )
    assert result.links.linked >= 3


def test_importing_twice_updates_and_adopts_auto_created_contacts(
    mail: Mail, tmp_path: Path
) -> None:
    mail.receive("ada <ada@acme.co.uk>")
    [auto] = mail.contacts()
    assert auto.source == "auto"
    text = "Name,Email,Tags\nAda Byron,ada@acme.co.uk,vip\n"

    mail.import_csv(tmp_path, text)
    mail.import_csv(tmp_path, text)

    [contact] = mail.contacts()
    assert (contact.id, contact.name, contact.source) == (
        auto.id,
        "Ada Byron",
        "import",
    )
    assert contact.tags == ["vip"]


def test_a_row_naming_two_known_people_merges_them(mail: Mail, tmp_path: Path) -> None:
    work = mail.receive("Ada <ada@acme.co.uk>")
    home = mail.send("Ada <ada.byron@gmail.com>")
    assert len(mail.contacts()) == 2

    mail.import_csv(
        tmp_path, "Name,Email\nAda Byron,ada@acme.co.uk;ada.byron@gmail.com\n"
    )

    [contact] = mail.contacts()
    assert {a.address for a in contact.addresses} == {
        "ada@acme.co.uk",
        "ada.byron@gmail.com",
    }
    assert mail.link(work, "ada@acme.co.uk").contact == "Ada Byron"
    assert mail.link(home, "ada.byron@gmail.com").contact == "Ada Byron"


def test_an_address_given_to_a_contact_moves_its_automatic_links(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(
        tmp_path,
        "Name,Email,Company,Website\nDaniel Cho,daniel@northwind.example,Northwind,"
        "northwind.example\n",
    )
    message = mail.receive("Daniel Cho <dc2@northwind.example>")
    assert mail.link(message, "dc2@northwind.example").method == "fuzzy"

    mail.import_csv(tmp_path, "Name,Email\nDana Cho,dc2@northwind.example\n")

    seen = mail.link(message, "dc2@northwind.example")
    assert (seen.method, seen.contact) == ("exact", "Dana Cho")
