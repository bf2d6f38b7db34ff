"""The shipped templates: both copies the same, each renders, `init` copies them."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inbox_crm.cli.main import cli
from inbox_crm.errors import TemplateError
from inbox_crm.outreach.templates import TemplateLibrary

ROOT = Path(__file__).parents[2]
PACKAGED = ROOT / "inbox_crm" / "starter" / "templates"
TOP_LEVEL = ROOT / "templates"

FULL = {
    "contact": {
        "name": "Ann Lee",
        "first_name": "Ann",
        "address": "ann@client.example",
    },
    "company": {"name": "Client & Sons", "domains": ["client.example"]},
    "thread": {"id": 1, "subject": "Website refresh", "message_count": 2},
    "last_message": {
        "subject": "Website refresh",
        "date": datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        "from": {"name": "Ann Lee", "address": "ann@client.example"},
    },
    "user": {"name": "Maya Lin", "address": "maya@agency.example", "mailbox": "work"},
    "unsubscribe": {"url": "https://crm.example/u/T", "mailto": "mailto:m@a.example"},
    "now": datetime(2026, 12, 3, tzinfo=UTC),
}
BARE = {
    **FULL,
    "contact": {"address": "zed@solo.example"},
    "company": None,
    "thread": None,
    "last_message": None,
}


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_the_packaged_and_the_top_level_templates_are_identical() -> None:
    assert tree(PACKAGED) == tree(TOP_LEVEL)
    assert {"introduction", "follow-up", "check-in"} <= set(
        TemplateLibrary(PACKAGED).names()
    )


@pytest.mark.parametrize("name", TemplateLibrary(PACKAGED).names())
def test_each_template_renders_for_a_known_contact(name: str) -> None:
    mail = TemplateLibrary(PACKAGED).render(name, FULL)

    assert "Ann" in mail.text
    assert "Maya Lin" in mail.text
    if mail.html is not None:
        assert "Client &amp; Sons" in mail.html


@pytest.mark.parametrize("name", ["introduction", "check-in"])
def test_first_contact_templates_render_for_a_bare_address(name: str) -> None:
    mail = TemplateLibrary(PACKAGED).render(name, BARE)

    assert mail.text.startswith("Hello there,")
    assert "unsubscribe" in mail.text


# Every shipped template with each context it renders for (a follow-up
# needs a thread: see test_the_follow_up_needs_a_thread).
RENDERABLE = [
    pytest.param(name, context, id=f"{name}-{label}")
    for name in TemplateLibrary(PACKAGED).names()
    for label, context in (("known", FULL), ("bare", BARE))
    if not (name == "follow-up" and label == "bare")
]


@pytest.mark.parametrize(("name", "context"), RENDERABLE)
def test_no_words_run_together_in_any_shipped_template(
    name: str, context: dict[str, Any]
) -> None:
    mail = TemplateLibrary(PACKAGED).render(name, context)
    known = _words(_template_text(name)) | _words(_values(context))

    for part in (mail.subject, mail.text, re.sub(r"<[^>]+>", " ", mail.html or "")):
        assert _words(part) <= known, f"{name}: {sorted(_words(part) - known)}"


def _template_text(name: str) -> str:
    """The source of a template and its partials, literals in tags included."""
    files = [*(PACKAGED / name).glob("*"), *(PACKAGED / "_partials").glob("*")]
    return " ".join(path.read_text(encoding="utf-8") for path in files)


def _values(value: object) -> str:
    if isinstance(value, dict):
        return " ".join(_values(item) for item in value.values())
    if isinstance(value, list):
        return " ".join(_values(item) for item in value)
    if isinstance(value, datetime):
        return value.strftime("%A %d %B %Y")
    return "" if value is None else str(value)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", html.unescape(text)))


def test_the_follow_up_needs_a_thread() -> None:
    with pytest.raises(TemplateError, match=r"follow-up/subject\.txt:1"):
        TemplateLibrary(PACKAGED).render("follow-up", BARE)


def test_init_copies_the_templates_and_keeps_edited_ones(tmp_path: Path) -> None:
    edited = tmp_path / "templates" / "introduction" / "subject.txt"
    edited.parent.mkdir(parents=True)
    edited.write_text("My own subject\n", encoding="utf-8")

    result = CliRunner().invoke(cli, ["init", str(tmp_path)])

    assert result.exit_code == 0, result.output
    copied = tree(tmp_path / "templates")
    assert copied.pop("introduction/subject.txt") == b"My own subject\n"
    expected = tree(PACKAGED)
    expected.pop("introduction/subject.txt")
    assert copied == expected
