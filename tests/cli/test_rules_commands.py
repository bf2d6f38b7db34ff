"""The rules, tickets, activities and export commands, as a user runs them."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from inbox_crm.cli.main import cli
from inbox_crm.storage.db import open_database
from inbox_crm.storage.tracking import Activity, RuleFiring, Ticket

EML = Path(__file__).parent / "eml"

CONFIG = """\
[rules]
since = 2026-12-01

[tickets]
prefix = "HELP"

[business]
timezone = "Europe/Berlin"
country = "DE"

[users.maya]
email = "maya@agency.example"
mailboxes = ["work"]

[mailboxes.work]
host = "localhost"
security = "none"
username = "maya@agency.example"
password_env = "UNUSED"
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (tmp_path / "inbox-crm.toml").write_text(CONFIG, encoding="utf-8")
    return tmp_path


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(home / "inbox-crm.toml"), *args])


def count(home: Path, model: type) -> int:
    database = open_database(f"sqlite:///{home / 'inbox-crm.db'}")
    try:
        with database.session() as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        database.dispose()


def lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_init_copies_the_shipped_rules_and_they_check(home: Path) -> None:
    names = sorted(path.name for path in (home / "rules").glob("*.yaml"))
    assert names == [
        "follow-up-no-reply.yaml",
        "support-ticket.yaml",
        "tag-new-company.yaml",
    ]

    result = run(home, "rules", "check", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [record["rule"] for record in lines(result)] == [
        "follow-up-no-reply",
        "support-ticket",
        "tag-new-company",
    ]


def test_check_reports_problems_and_the_agent_refuses_to_start(home: Path) -> None:
    (home / "rules" / "broken.yaml").write_text(
        "rules:\n  - id: broken\n    description: x\n    trigger: sometimes\n"
        "    actions: [stop]\n",
        encoding="utf-8",
    )

    check = run(home, "rules", "check")
    assert check.exit_code == 2
    assert "broken.yaml:4: rule broken: trigger: 'sometimes' is not allowed" in (
        check.stderr
    )

    imported = run(home, "import", str(EML / "support-request.eml"))
    assert imported.exit_code != 0
    assert "problem in the rule files" in str(imported.exception or imported.output)


def test_a_dry_run_explains_and_writes_nothing(home: Path) -> None:
    result = run(home, "rules", "test", "--message", str(EML / "support-request.eml"))

    assert result.exit_code == 0, result.output
    assert "support-ticket: HIT" in result.stdout
    assert "would open a normal ticket 'Printer on fire' in queue support" in (
        result.stdout
    )
    assert "tag-new-company: NOT REACHED" in result.stdout
    assert "follow-up-no-reply: NOT APPLICABLE" in result.stdout
    assert count(home, Ticket) == 0
    assert count(home, RuleFiring) == 0


def test_a_dry_run_of_one_rule_shows_loop_protection(home: Path) -> None:
    result = run(
        home,
        "rules",
        "test",
        "support-ticket",
        "--message",
        str(EML / "out-of-office.eml"),
        "--format",
        "json",
    )

    [record] = lines(result)
    assert record["verdict"] == "hit"
    assert record["actions"] == [{"action": "stop"}]
    assert "skipped ticket: the message is auto_reply mail" in str(record["notes"])


def test_a_dry_run_of_a_no_reply_rule_shows_the_deadline(home: Path) -> None:
    result = run(
        home,
        "rules",
        "test",
        "follow-up-no-reply",
        "--message",
        str(EML / "proposal-sent.eml"),
    )

    assert "if no reply by 2026-12-04 15:00 CET" in result.stdout
    assert "contact.known equals True failed" in result.stdout


def test_tickets_from_import_to_close_and_export(home: Path) -> None:
    assert run(home, "import", str(EML / "support-request.eml")).exit_code == 0
    assert run(home, "import", str(EML / "out-of-office.eml")).exit_code == 0

    listing = lines(run(home, "tickets", "list", "--format", "json"))
    assert [(t["number"], t["status"]) for t in listing] == [("HELP-1", "open")]

    shown = run(home, "tickets", "show", "HELP-1")
    assert "opened by rule support-ticket" in shown.stdout

    assert "HELP-1 is now closed" in run(home, "tickets", "close", "1").stdout
    assert run(home, "tickets", "list", "--format", "json").stdout == ""
    assert "HELP-1 is now open" in run(home, "tickets", "reopen", "HELP-1").stdout

    [exported] = lines(run(home, "export", "tickets"))
    assert exported["rule"]["id"] == "support-ticket"  # type: ignore[index]
    assert exported["rule"]["trigger"] == "message_received"  # type: ignore[index]
    assert exported["messages"] == [1]

    firings = lines(run(home, "rules", "firings", "--format", "json"))
    assert {f["rule"] for f in firings} == {"support-ticket"}

    dry = run(home, "rules", "test", "--message-id", "<ask-1@customer.example>")
    assert "support-ticket: FIRED BEFORE" in dry.stdout


def test_activities_list_done_snooze_and_export(home: Path) -> None:
    now = datetime.now(UTC)
    database = open_database(f"sqlite:///{home / 'inbox-crm.db'}")
    with database.session() as session, session.begin():
        session.add_all(
            [
                Activity(kind="call", title="late", due_at=now - timedelta(days=2)),
                Activity(kind="task", title="soon", due_at=now + timedelta(days=3)),
                Activity(kind="note", title="later", due_at=now + timedelta(days=30)),
            ]
        )
    database.dispose()

    def titles(*args: str) -> list[object]:
        result = run(home, "activities", "list", *args, "--format", "json")
        return [record["title"] for record in lines(result)]

    assert titles("--due", "overdue") == ["late"]
    assert titles("--due", "today") == ["late"]
    assert titles("--due", "week") == ["late", "soon"]
    assert titles() == ["late", "soon", "later"]

    assert "is done" in run(home, "activities", "done", "1").stdout
    assert titles("--due", "week") == ["soon"]
    snoozed = run(home, "activities", "snooze", "2", "--for", "1 week")
    assert snoozed.exit_code == 0, snoozed.output
    assert titles("--due", "week") == []

    exported = lines(run(home, "export", "activities"))
    assert [record["status"] for record in exported] == ["done", "open", "open"]
    assert exported[1]["snoozes"] == 1


def test_run_applies_rules_to_older_mail_on_request(home: Path) -> None:
    shutil.copy(EML / "support-request.eml", home / "old.eml")
    (home / "inbox-crm.toml").write_text(
        CONFIG.replace("since = 2026-12-01", "since = 2027-01-01"), encoding="utf-8"
    )
    run(home, "import", str(home / "old.eml"))
    assert count(home, Ticket) == 0

    result = run(home, "rules", "run", "--since", "2026-12-01")

    assert result.exit_code == 0, result.output
    assert count(home, Ticket) == 1
    run(home, "rules", "run", "--since", "2026-12-01")
    assert count(home, Ticket) == 1


def test_sweep_runs_once_and_reports(home: Path) -> None:
    result = run(home, "rules", "sweep")

    assert result.exit_code == 0, result.output
    assert "0 no-reply rules fired" in result.stdout


@pytest.mark.parametrize("output_format", ["table", "json"])
def test_a_dry_run_that_reports_an_error_exits_non_zero(
    home: Path, output_format: str
) -> None:
    (home / "rules" / "a-first.yaml").write_text(
        "rules:\n  - id: past-the-end\n    description: x\n"
        "    trigger: message_received\n    actions:\n"
        "      - activity: {title: 'Call {{ message.to[5] }}'}\n",
        encoding="utf-8",
    )
    message = str(EML / "support-request.eml")

    result = run(home, "rules", "test", "--message", message, "--format", output_format)

    assert result.exit_code == 1
    assert "rules that could not be tried: past-the-end" in result.stderr
    if output_format == "json":
        verdicts = {r["rule"]: r["verdict"] for r in lines(result)}
        assert verdicts["past-the-end"] == "error"
        assert verdicts["support-ticket"] == "hit"
    else:
        assert "past-the-end: ERROR" in result.stdout
    clean = run(home, "rules", "test", "support-ticket", "--message", message)
    assert clean.exit_code == 0, clean.output


def test_counts_of_one_and_articles_before_vowels_read_as_english(
    home: Path,
) -> None:
    for path in (home / "rules").glob("*.yaml"):
        path.unlink()
    (home / "rules" / "urgent.yaml").write_text(
        "rules:\n  - id: urgent\n    description: x\n"
        "    trigger: message_received\n    actions:\n"
        "      - ticket: {priority: urgent}\n",
        encoding="utf-8",
    )
    run(home, "activities", "add", "--title", "Call Ann")

    checked = run(home, "rules", "check")
    tried = run(home, "rules", "test", "--message", str(EML / "support-request.eml"))
    exported = run(home, "export", "activities")

    assert "1 rule in 1 file valid" in checked.stdout
    assert "would open an urgent ticket 'Printer on fire'" in tried.stdout
    assert "1 activity exported" in exported.stderr


MISSPELT = """\
rules:
  - id: greet-new
    description: Introduce ourselves to whoever writes
    trigger: message_received
    actions:
      - outreach: {template: introdution}
"""


def test_an_outreach_template_not_in_the_templates_folder_fails_check_and_test(
    home: Path,
) -> None:
    (home / "rules" / "a-greet.yaml").write_text(MISSPELT, encoding="utf-8")

    check = run(home, "rules", "check")
    tried = run(home, "rules", "test", "--message", str(EML / "support-request.eml"))

    assert check.exit_code == 2
    assert "a-greet.yaml:6: rule greet-new: actions: outreach.template: " in (
        check.stderr
    )
    assert "no template 'introdution'" in check.stderr
    assert "did you mean 'introduction'?" in check.stderr
    assert "templates there: " in check.stderr and "check-in" in check.stderr
    assert tried.exit_code == 1
    assert "greet-new: ERROR" in tried.stdout
    assert "no template 'introdution'" in tried.stdout
    assert "would queue" not in tried.stdout


def test_rules_run_prints_the_firings_it_made_by_rule(home: Path) -> None:
    shutil.copy(EML / "support-request.eml", home / "old.eml")
    (home / "inbox-crm.toml").write_text(
        CONFIG.replace("since = 2026-12-01", "since = 2027-01-01"), encoding="utf-8"
    )
    run(home, "import", str(home / "old.eml"))

    first = run(home, "rules", "run", "--since", "2026-12-01")
    again = run(home, "rules", "run", "--since", "2026-12-01")

    assert "1 message evaluated; 1 firing on them:\n  support-ticket: 1\n" in (
        first.stdout
    )
    assert "support-ticket" not in again.stdout
    assert "then 0 no-reply rules fired in the sweep" in again.stdout
