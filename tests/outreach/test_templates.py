"""Templates render strictly in a sandbox; only the HTML part is escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.errors import TemplateError
from inbox_crm.outreach.templates import TemplateLibrary, one_line
from tests.outreach.conftest import write_templates

CONTEXT = {
    "contact": {"name": "Ann <Lee> & Co", "first_name": "Ann", "fields": {}},
    "company": None,
    "user": {"name": "Maya Lin", "address": "maya@agency.example"},
}


def library(tmp_path: Path, files: dict[str, str]) -> TemplateLibrary:
    return TemplateLibrary(write_templates(tmp_path / "templates", files))


def test_html_part_is_escaped_and_text_and_subject_are_not(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "Offer for {{ contact.name }}\n",
            "offer/body.txt": "Dear {{ contact.name }},\n",
            "offer/body.html": "<p>Dear {{ contact.name }},</p>\n",
        },
    )

    mail = templates.render("offer", CONTEXT)

    assert mail.subject == "Offer for Ann <Lee> & Co"
    assert mail.text == "Dear Ann <Lee> & Co,\n"
    assert mail.html == "<p>Dear Ann &lt;Lee&gt; &amp; Co,</p>\n"


def test_missing_value_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "Hello\n",
            "offer/body.txt": "Dear {{ contact.name }},\n\nYour code: {{ code }}\n",
        },
    )

    with pytest.raises(TemplateError) as caught:
        templates.render("offer", CONTEXT)

    message = str(caught.value)
    assert f"{tmp_path / 'templates' / 'offer' / 'body.txt'}:3" in message
    assert "'code' is undefined" in message


def test_missing_attribute_of_a_value_is_an_error(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {"offer/subject.txt": "{{ contact.nickname }}\n", "offer/body.txt": "x\n"},
    )

    with pytest.raises(TemplateError, match=r"subject\.txt:1: .*nickname"):
        templates.render("offer", CONTEXT)


def test_attribute_of_a_missing_company_is_an_error(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {"offer/subject.txt": "Hi\n", "offer/body.txt": "At {{ company.name }}\n"},
    )

    with pytest.raises(TemplateError, match=r"body\.txt:1"):
        templates.render("offer", CONTEXT)


def test_default_filter_and_if_cover_optional_values(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "Hi {{ contact.nickname | default('there') }}\n",
            "offer/body.txt": "{% if company %}At {{ company.name }}{% endif %}Bye\n",
        },
    )

    mail = templates.render("offer", CONTEXT)

    assert (mail.subject, mail.text) == ("Hi there", "Bye\n")


def test_sandbox_refuses_reaching_into_python(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "Hi\n",
            "offer/body.txt": "{{ ''.__class__.__mro__[1].__subclasses__() }}\n",
        },
    )

    with pytest.raises(TemplateError, match=r"body\.txt:1"):
        templates.render("offer", CONTEXT)


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {"offer/subject.txt": "Hi\n", "offer/body.txt": "one\ntwo {% if %}\n"},
    )

    with pytest.raises(TemplateError, match=r"body\.txt:2: "):
        templates.render("offer", CONTEXT)


def test_unknown_template_names_the_ones_there(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "Hi\n",
            "offer/body.txt": "x\n",
            "draft/subject.txt": "no body yet\n",
            "_partials/sign.txt": "--\n",
        },
    )

    assert templates.names() == ["offer"]
    with pytest.raises(TemplateError, match=r"found: offer$"):
        templates.render("welcome", CONTEXT)
    with pytest.raises(TemplateError, match="not a template name"):
        templates.render("../offer", CONTEXT)


def test_partials_are_included(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "Hi\n",
            "offer/body.txt": 'Hello\n{% include "_partials/sign.txt" %}\n',
            "_partials/sign.txt": "-- \n{{ user.name }}\n",
        },
    )

    assert templates.render("offer", CONTEXT).text == "Hello\n-- \nMaya Lin\n"


def test_line_breaks_from_data_never_leave_the_subject_line(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {"offer/subject.txt": "For {{ contact.name }}\n", "offer/body.txt": "x\n"},
    )
    context = {**CONTEXT, "contact": {"name": "Ann\r\nBcc: evil@attacker.example"}}

    assert templates.render("offer", context).subject == (
        "For Ann Bcc: evil@attacker.example"
    )


def test_an_empty_subject_is_an_error(tmp_path: Path) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "{{ contact.fields.get('x', '') }}\n",
            "offer/body.txt": "x",
        },
    )

    with pytest.raises(TemplateError, match="subject is empty"):
        templates.render("offer", CONTEXT)


def test_one_line_removes_control_characters() -> None:
    assert one_line(" a\r\n\tb\x00c\x1bd\u2028e ") == "a b c d e"


def test_a_known_value_that_is_not_set_renders_empty_not_none(
    tmp_path: Path,
) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "For {{ contact.name }} {{ contact.owner }}\n",
            "offer/body.txt": "Owner: [{{ contact.owner }}] [{{ contact.id }}]\n",
            "offer/body.html": "<p>{{ contact.owner }}</p>\n",
        },
    )
    context = CONTEXT | {"contact": CONTEXT["contact"] | {"owner": None, "id": None}}

    mail = templates.render("offer", context)

    assert mail.subject == "For Ann <Lee> & Co"
    assert mail.text == "Owner: [] []\n"
    assert mail.html == "<p></p>\n"


def test_an_unknown_name_is_still_an_error_beside_an_empty_value(
    tmp_path: Path,
) -> None:
    templates = library(
        tmp_path,
        {
            "offer/subject.txt": "Hello\n",
            "offer/body.txt": "{{ contact.owner }} {{ contact.ownr }}\n",
        },
    )
    context = CONTEXT | {"contact": CONTEXT["contact"] | {"owner": None}}

    with pytest.raises(TemplateError) as caught:
        templates.render("offer", context)

    assert "unknown field contact.ownr" in str(caught.value)


def test_a_misspelt_field_names_line_and_fields_from_a_relative_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_templates(
        tmp_path / "templates",
        {"offer/subject.txt": "Hello\n", "offer/body.txt": "Hi\n{{ contact.nmae }}\n"},
    )
    monkeypatch.chdir(tmp_path)
    templates = TemplateLibrary(Path("templates"))

    with pytest.raises(TemplateError) as caught:
        templates.render("offer", CONTEXT)

    fields = ", ".join(sorted(CONTEXT["contact"]))
    assert str(caught.value).startswith(
        f"{tmp_path / 'templates' / 'offer' / 'body.txt'}:2: "
        f"unknown field contact.nmae (contact has: {fields});"
    )
