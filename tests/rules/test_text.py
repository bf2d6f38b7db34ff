"""Action texts: every name and field they use is checked when the rules load."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from inbox_crm.businesstime.calendar import BusinessCalendar
from inbox_crm.config.model import BusinessConfig
from inbox_crm.rules.facts import Facts, MatchFacts, MessageFacts, Party, TicketFacts
from inbox_crm.rules.planner import template_context
from inbox_crm.rules.problems import Invalid
from inbox_crm.rules.text import VARIABLES, TextError, compile_text
from tests.rules.test_loader import one_rule, problems, write

MOMENT = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def full_facts() -> Facts:
    """An event with every part present: message, contact, company, ticket."""
    message = MessageFacts(
        id=1,
        fingerprint="f",
        mailbox="work",
        mailbox_id=1,
        message_id="<m@x>",
        date=MOMENT,
        direction="inbound",
        kind="normal",
        bulk=False,
        list_id=None,
        from_address="ann@client.example",
        from_name="Ann",
        to=("maya@agency.example",),
        cc=(),
        subject="Hello",
        body="",
    )
    return Facts(
        trigger="ticket_opened",
        moment=MOMENT,
        calendar=BusinessCalendar(BusinessConfig()),
        message=message,
        contact=Party(1, "Ann Client"),
        company=Party(2, "Client Ltd"),
        match=MatchFacts("exact", 1.0),
        ticket=TicketFacts(3, "T-1", "open", "high", "support", None, "Hello"),
    )


def test_the_checked_fields_are_the_fields_a_text_gets() -> None:
    rule: Any = SimpleNamespace(id="r1", description="d")

    context = template_context(rule, full_facts())

    assert set(context) == set(VARIABLES)
    for name, keys in VARIABLES.items():
        value = context[name]
        found = sorted(value) if isinstance(value, dict) else []
        assert found == sorted(keys), name


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            "Follow up {{ contact.nmae }}",
            "unknown field contact.nmae (did you mean contact.name?); "
            "contact has: id, name, tags, fields, owner",
        ),
        ("{{ message.subjcet }}", "(did you mean message.subject?)"),
        ("{{ company['nam'] | upper }}", "unknown field company.nam"),
        ("{% if ticket.prio == 'high' %}!{% endif %}", "unknown field ticket.prio"),
        ("{{ message.to | join(', ') }} {{ match.scroe }}", "match.scroe"),
        ("{{ mesage.subject }}", "unknown template variable mesage (did you mean"),
    ],
)
def test_a_misspelt_name_or_field_is_refused_with_the_fix(
    source: str, words: str
) -> None:
    with pytest.raises(Invalid) as caught:
        compile_text(source, 7, "activity.title")

    assert caught.value.line == 7
    assert caught.value.message.startswith("activity.title: ")
    assert words in caught.value.message


@pytest.mark.parametrize(
    "source",
    [
        "{{ contact.name }} {{ contact['owner'] }} {{ contact.fields.region }}",
        "{{ message.subject.upper() }} {{ now }} {{ rule.id }}",
        "{% for contact in message.to %}{{ contact.anything }}{% endfor %}",
        "{% set ticket = {'x': 1} %}{{ ticket.x }}",
    ],
)
def test_known_fields_and_names_of_the_template_own_are_accepted(
    source: str,
) -> None:
    compile_text(source, 1, "activity.title")


@pytest.mark.parametrize(
    "action",
    [
        "activity: {title: '{{ contact.nmae }}'}",
        "activity: {title: x, notes: '{{ contact.nmae }}'}",
        "ticket: {subject: '{{ contact.nmae }}'}",
        "tag: {name: '{{ contact.nmae }}'}",
        "notify: {user: maya, text: '{{ contact.nmae }}'}",
    ],
)
def test_rules_check_names_file_line_and_fix_for_each_text(
    tmp_path: Path, action: str
) -> None:
    body = f"trigger: message_received\nactions:\n  - {action}\n"
    path = write(tmp_path, "a.yaml", one_rule(body))

    [problem] = problems(tmp_path)

    assert (problem.path, problem.line, problem.rule) == (path, 6, "r1")
    assert "unknown field contact.nmae (did you mean contact.name?)" in str(problem)


def render(source: str, facts: Facts) -> str:
    rule: Any = SimpleNamespace(id="r1", description="d")
    return compile_text(source, 1, "activity.title").render(
        template_context(rule, facts)
    )


def test_a_known_value_that_is_not_set_renders_empty_not_none() -> None:
    facts = full_facts()

    assert render("Owner: [{{ contact.owner }}]", facts) == "Owner: []"
    assert render("[{{ ticket.assignee }}]", facts) == "[]"


def test_the_fields_of_an_absent_part_render_empty() -> None:
    facts = full_facts()
    facts.contact = facts.company = facts.ticket = None

    assert render("Call {{ contact.name }}!", facts) == "Call !"
    assert render("{{ company.tags | join(', ') }}|{{ ticket.number }}", facts) == "|"
    assert render("{% if contact.name %}a{% else %}b{% endif %}", facts) == "b"
    assert render("{{ contact.name | default('there') }}", facts) == "there"


def test_a_value_that_is_not_known_fails_the_firing() -> None:
    with pytest.raises(TextError) as caught:
        render("{{ contact.fields.region }}", full_facts())

    assert "has no attribute 'region'" in str(caught.value)
