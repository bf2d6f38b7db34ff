"""An import taking over the companies the mail made, by website or by address."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.contacts.edit import Changes, edit_company
from inbox_crm.contacts.models import Company
from inbox_crm.errors import ContactImportError
from tests.contacts.conftest import Mail, Seen


def summary(mail: Mail) -> list[tuple[int, str, str, list[str], list[str]]]:
    """Each company: id, name, source, domains and its contacts' names."""
    return [
        (
            company.id,
            company.name,
            company.source,
            [d.domain for d in company.domains],
            sorted(c.name for c in company.contacts),
        )
        for company in mail.companies()
    ]


def test_an_import_takes_over_the_company_the_mail_made_for_its_website(
    mail: Mail, tmp_path: Path
) -> None:
    message = mail.receive("Bob Stone <bob@acme.co.uk>")
    [made] = mail.companies()
    assert (made.name, made.source) == ("Acme", "auto")

    mail.import_csv(
        tmp_path,
        "Name,Email,Company Name,Website URL\n"
        "Ada Byron,ada@acme.co.uk,Acme Ltd,https://www.acme.co.uk\n",
    )

    assert summary(mail) == [
        (made.id, "Acme Ltd", "import", ["acme.co.uk"], ["Ada Byron", "Bob Stone"])
    ]
    assert mail.link(message, "bob@acme.co.uk") == Seen(
        "exact", 1.0, "Bob Stone", "Acme Ltd"
    )


def test_a_mail_made_company_merges_into_the_imported_company_of_that_name(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(tmp_path, "Name,Email,Company\nCy,cy@gmail.com,Acme Ltd\n")
    message = mail.receive("Bob Stone <bob@acme.co.uk>")
    imported, made = mail.companies()
    assert made.source == "auto"

    mail.import_csv(tmp_path, "Name,Company,Website\nAda Byron,Acme Ltd,acme.co.uk\n")

    assert summary(mail) == [
        (
            imported.id,
            "Acme Ltd",
            "import",
            ["acme.co.uk"],
            ["Ada Byron", "Bob Stone", "Cy"],
        )
    ]
    assert mail.link(message, "bob@acme.co.uk").company == "Acme Ltd"


@pytest.mark.parametrize("chosen_by", ["import", "hand"])
def test_a_company_somebody_named_still_refuses_an_import_of_another_name(
    mail: Mail, tmp_path: Path, chosen_by: str
) -> None:
    if chosen_by == "import":
        mail.import_csv(tmp_path, "Name,Company,Website\nCy,Acme Group,acme.co.uk\n")
    else:
        mail.receive("Bob <bob@acme.co.uk>")
        with mail.database.session() as session, session.begin():
            [company] = session.query(Company).all()
            edit_company(session, company, Changes(name="Acme Group"))
    before = summary(mail)

    with pytest.raises(
        ContactImportError,
        match=r"\.csv:2: acme.co.uk already belongs to company \d+ \(Acme Group\), "
        r"not Acme Ltd; give the row",
    ):
        mail.import_csv(
            tmp_path, "Name,Company Name,Website URL\nDi,Acme Ltd,acme.co.uk\n"
        )

    assert summary(mail) == before


def test_an_imported_company_without_a_website_takes_over_by_its_contacts_domain(
    mail: Mail, tmp_path: Path
) -> None:
    message = mail.receive("Gavin <gavin@hooli.com>")
    [made] = mail.companies()

    mail.import_csv(
        tmp_path, "Name,Email,Company\nAda Byron,ada@mail.hooli.com,Hooli Inc\n"
    )

    assert summary(mail) == [
        (made.id, "Hooli Inc", "import", ["hooli.com"], ["Ada Byron", "Gavin"])
    ]
    assert mail.link(message, "gavin@hooli.com").company == "Hooli Inc"


def test_mail_after_an_import_joins_the_company_of_its_contacts_domain(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(tmp_path, "Name,Email,Company\nAda Byron,ada@hooli.com,Hooli Inc\n")
    [imported] = mail.companies()

    message = mail.receive("Gavin <gavin@hooli.com>")

    assert summary(mail) == [
        (imported.id, "Hooli Inc", "import", ["hooli.com"], ["Ada Byron", "Gavin"])
    ]
    assert mail.link(message, "gavin@hooli.com") == Seen(
        "exact", 1.0, "Gavin", "Hooli Inc"
    )


def test_free_mail_and_own_domains_never_become_an_imported_companys_domain(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(
        tmp_path,
        "Name,Email,Company\n"
        "Ada,ada@gmail.com,Acme Ltd\n"
        "Max,max@agency.example,Acme Ltd\n",
    )

    [company] = mail.companies()
    assert (company.name, [d.domain for d in company.domains]) == ("Acme Ltd", [])


def test_a_work_domain_another_imported_company_owns_stays_there(
    mail: Mail, tmp_path: Path
) -> None:
    mail.import_csv(tmp_path, "Name,Company,Website\nCy,Acme Group,acme.co.uk\n")

    mail.import_csv(tmp_path, "Name,Email,Company\nAda,ada@acme.co.uk,Acme Ltd\n")

    assert [(c.name, [d.domain for d in c.domains]) for c in mail.companies()] == [
        ("Acme Group", ["acme.co.uk"]),
        ("Acme Ltd", []),
    ]
