"""Rule files: what loads, and errors that name file, line, rule and the fix."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from inbox_crm.config import parse_config
from inbox_crm.rules.hook import configured_rules
from inbox_crm.rules.loader import load_rules
from inbox_crm.rules.model import ActivitySpec, TicketSpec
from inbox_crm.rules.problems import RuleProblem, RuleSetError

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(folder: Path, users: tuple[str, ...] = ("maya",)) -> list[RuleProblem]:
    with pytest.raises(RuleSetError) as caught:
        load_rules(folder, users)
    return caught.value.problems


def one_rule(body: str) -> str:
    head = "rules:\n  - id: r1\n    description: test\n"
    return head + textwrap.indent(textwrap.dedent(body), "    ")


def test_the_shipped_rules_load() -> None:
    rules = load_rules(REPO / "rules", ("maya",))
    assert [rule.id for rule in rules.rules] == [
        "follow-up-no-reply",
        "support-ticket",
        "tag-new-company",
    ]
    chase = rules.rules[0]
    assert chase.trigger.kind == "no_reply"
    assert str(chase.trigger.within) == "3 business days"
    assert isinstance(chase.actions[0], ActivitySpec)
    assert isinstance(rules.rules[1].actions[0], TicketSpec)


def test_the_top_level_rules_are_the_starter_copies() -> None:
    shipped = sorted((REPO / "rules").glob("*.yaml"))
    starter = REPO / "inbox_crm" / "starter" / "rules"
    assert [path.name for path in shipped] == sorted(
        path.name for path in starter.glob("*.yaml")
    )
    for path in shipped:
        assert path.read_bytes() == (starter / path.name).read_bytes(), path.name


def test_an_unknown_key_names_its_line_and_what_is_allowed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        one_rule(
            """\
            trigger: message_received
            priority: 3
            actions: [stop]
            """
        ),
    )

    [problem] = problems(tmp_path)
    assert (problem.path, problem.line, problem.rule) == (path, 5, "r1")
    assert "unknown key 'priority'" in problem.message
    assert "allowed: id, description, trigger" in problem.message


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (
            "trigger: message_recieved\nactions: [stop]\n",
            4,
            "allowed: message_received",
        ),
        (
            "trigger: message_received\nwhen: {subjct: {contains: x}}\n"
            "actions: [stop]\n",
            5,
            "did you mean subject",
        ),
        (
            "trigger: message_received\nwhen: {subject: {has: x}}\nactions: [stop]\n",
            5,
            "unknown operator 'has'; allowed: equals, in, contains",
        ),
        (
            "trigger: message_received\nwhen: {subject: {matches: '(('}}\n"
            "actions: [stop]\n",
            5,
            "bad regular expression",
        ),
        (
            "trigger: message_received\nwhen: {kind: spam}\nactions: [stop]\n",
            5,
            "'spam' is not one of normal, auto_reply, bounce, list",
        ),
        (
            "trigger: message_received\nactions:\n  - ticket: {priority: hgh}\n",
            6,
            "'hgh' is not allowed; allowed: low, normal, high, urgent",
        ),
        (
            "trigger: message_received\nactions:\n"
            "  - activity: {title: x, assignee: bob}\n",
            6,
            "'bob' is not a user in the configuration; allowed: contact_owner, "
            "mailbox_user, maya",
        ),
        (
            "trigger: message_received\nactions:\n"
            "  - activity: {title: '{{ mesage.subject }}'}\n",
            6,
            "unknown template variable mesage",
        ),
        (
            "trigger: message_received\nactions:\n"
            "  - activity: {title: x, due: soon}\n",
            6,
            "is not a duration",
        ),
        (
            "trigger:\n  no_reply: {after: outbound}\nactions: [stop]\n",
            5,
            "within is required",
        ),
        (
            "trigger:\n  schedule: {cron: '0 9 * *'}\nactions: [stop]\n",
            5,
            "five fields",
        ),
        (
            "trigger:\n  schedule: {cron: '0 9 * * *'}\nwhen: {subject: x}\n"
            "actions: [stop]\n",
            6,
            "subject has no value for trigger schedule",
        ),
        (
            "trigger:\n  schedule: {cron: '0 9 * * *'}\nactions:\n  - ticket: {}\n",
            7,
            "a schedule has no message or contact",
        ),
        (
            "trigger: message_received\nwhen: {subject: no}\nactions: [stop]\n",
            5,
            "quote words like yes, no, on, off",
        ),
        ("trigger: message_received\nactions: []\n", 5, "non-empty list"),
    ],
)
def test_each_mistake_gets_a_precise_problem(
    tmp_path: Path, body: str, line: int, words: str
) -> None:
    write(tmp_path, "a.yaml", one_rule(body))

    [problem] = problems(tmp_path)
    assert problem.rule == "r1"
    assert problem.line == line, problem
    assert words in problem.message


def test_every_broken_rule_is_reported_not_only_the_first(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
        rules:
          - id: one
            description: x
            trigger: nope
            actions: [stop]
          - id: two
            description: y
            trigger: message_received
            actions: [stop]
          - id: three
            trigger: message_received
            actions: [stop]
        """,
    )
    write(
        tmp_path,
        "b.yaml",
        "rules:\n  - id: two\n    description: again\n"
        "    trigger: message_sent\n    actions: [stop]\n",
    )

    found = problems(tmp_path)
    assert [(p.path.name, p.line, p.rule) for p in found] == [
        ("a.yaml", 4, "one"),
        ("a.yaml", 10, "three"),
        ("b.yaml", 2, "two"),
    ]
    assert "description is required" in found[1].message
    assert "used already at" in found[2].message


def test_bad_yaml_and_duplicate_keys_name_their_line(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "rules:\n  - id: x\n    id: y\n")
    write(tmp_path, "b.yaml", "rules: [\n  - id: x\n")

    found = problems(tmp_path)
    assert (found[0].path.name, found[0].line) == ("a.yaml", 3)
    assert "'id' is given twice" in found[0].message
    assert found[1].path.name == "b.yaml"
    assert "not valid YAML" in found[1].message


def test_the_error_message_lists_every_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "nothing: here\n")

    with pytest.raises(RuleSetError) as caught:
        load_rules(tmp_path)
    assert "1 problem in the rule files" in str(caught.value)
    assert "a.yaml:1: a rule file: unknown key 'nothing'" in str(caught.value)


def test_disabled_rules_are_checked_but_not_run(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        one_rule("enabled: false\ntrigger: message_sent\nactions: [stop]\n"),
    )

    rules = load_rules(tmp_path)
    assert rules.rules == ()
    assert rules.disabled == ("r1",)


def test_every_problem_of_a_rule_is_reported_in_one_check(tmp_path: Path) -> None:
    write(
        tmp_path,
        "many.yaml",
        """\
        rules:
          - id: Many_Mistakes
            trigger: sometimes
            when:
              subjekt: invoice
            actions:
              - ticket: {priority: huge}
              - activity: {title: Call, assignee: nobody}
            enabled: maybe
            colour: red
        """,
    )

    found = [(p.line, p.message.split(":")[0]) for p in problems(tmp_path)]

    assert found == [
        (2, "a rule"),
        (2, "id"),
        (3, "trigger"),
        (5, "unknown field 'subjekt'; did you mean subject?"),
        (7, "actions"),
        (8, "actions"),
        (9, "enabled takes true or false"),
        (10, "a rule"),
    ]


def test_a_missing_rules_folder_runs_no_rules_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = parse_config({"rules": {"folder": "norules"}}, tmp_path / "inbox-crm.toml")

    with caplog.at_level(logging.WARNING, logger="inbox_crm.rules.hook"):
        rules = configured_rules(config)

    assert rules.rules == ()
    [record] = caplog.records
    assert record.levelname == "WARNING"
    assert f"no rules folder at {tmp_path / 'norules'}: no rules run" in (
        record.getMessage()
    )
