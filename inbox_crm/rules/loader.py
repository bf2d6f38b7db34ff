"""Loading the rule files of a folder into a validated RuleSet.

Every problem is collected, not only the first: each names the file, the
line, the rule and what is allowed. One broken rule makes the whole set
invalid, so the agent never runs with half of its rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path
from typing import TypeVar

from inbox_crm.businesstime.cron import CronError, check_cron
from inbox_crm.rules.conditions import Condition, parse_condition
from inbox_crm.rules.fields import MESSAGE_TRIGGERS
from inbox_crm.rules.model import (
    TICKET_FIELDS,
    ActionSpec,
    AssignSpec,
    OutreachSpec,
    Rule,
    RuleSet,
    TagSpec,
    TicketSpec,
    Trigger,
)
from inbox_crm.rules.problems import (
    Invalid,
    InvalidParts,
    RuleProblem,
    RuleSetError,
    attempt,
)
from inbox_crm.rules.shape import duration, flag, mapping, word
from inbox_crm.rules.source import Node, read_yaml
from inbox_crm.rules.specs import parse_actions

RULE_KEYS = (
    "id",
    "description",
    "trigger",
    "when",
    "actions",
    "allow_automated",
    "enabled",
    "user",
)
TRIGGERS = (
    "message_received",
    "message_sent",
    "no_reply",
    "ticket_opened",
    "ticket_changed",
    "schedule",
)
REQUIRED_KEYS = ("id", "description", "trigger", "actions")
SUFFIXES = (".yaml", ".yml")
T = TypeVar("T")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def rule_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.suffix in SUFFIXES)


def load_rules(folder: Path, users: Collection[str] = ()) -> RuleSet:
    """Every rule in `folder`; RuleSetError lists all problems found."""
    if not folder.is_dir():
        raise RuleSetError(
            [RuleProblem(folder, 0, None, "no such folder; set [rules] folder")]
        )
    problems: list[RuleProblem] = []
    rules: list[Rule] = []
    disabled: list[str] = []
    seen: dict[str, RuleProblem] = {}
    files = rule_files(folder)
    for path in files:
        for rule, enabled in _read_file(path, users, problems):
            if rule.id in seen:
                first = seen[rule.id]
                problems.append(
                    RuleProblem(
                        path,
                        rule.line,
                        rule.id,
                        f"the id is used already at {first.path}:{first.line}; "
                        "ids must be unique",
                    )
                )
                continue
            seen[rule.id] = RuleProblem(path, rule.line, rule.id, "")
            if enabled:
                rules.append(rule)
            else:
                disabled.append(rule.id)
    if problems:
        raise RuleSetError(problems)
    return RuleSet(tuple(rules), tuple(files), tuple(disabled))


def _read_file(
    path: Path, users: Collection[str], problems: list[RuleProblem]
) -> list[tuple[Rule, bool]]:
    try:
        root = read_yaml(path)
        if root is None:
            return []
        keys = mapping(root, "a rule file", ("rules",), ("rules",))
        items = keys["rules"]
        if not isinstance(items.value, list):
            raise Invalid(items.line, "rules takes a list of rules (- id: ...)")
    except Invalid as exc:
        problems.append(RuleProblem(path, exc.line, None, exc.message))
        return []

    loaded = []
    for item in items.value:
        rule_id = _peek_id(item)
        found: list[Invalid] = []
        parsed = attempt(found, partial(parse_rule, item, path, users))
        if parsed is not None:
            loaded.append(parsed)
        problems.extend(
            RuleProblem(path, problem.line, rule_id, problem.message)
            for problem in sorted(found, key=lambda problem: problem.line)
        )
    return loaded


def parse_rule(node: Node, path: Path, users: Collection[str]) -> tuple[Rule, bool]:
    """One rule and whether it is enabled.

    Each part is checked on its own: InvalidParts lists every problem found.
    """
    problems: list[Invalid] = []
    keys = mapping(node, "a rule", RULE_KEYS, REQUIRED_KEYS, problems)
    rule_id = _part(problems, keys, "id", _rule_id)
    description = _part(problems, keys, "description", _description)
    trigger = _part(problems, keys, "trigger", parse_trigger)
    condition = _part(problems, keys, "when", parse_condition)
    if condition is not None and trigger is not None:
        attempt(problems, lambda: _check_fields(condition, trigger))
    actions = _part(problems, keys, "actions", lambda n: parse_actions(n, users))
    if actions is not None and trigger is not None:
        attempt(problems, lambda: _check_actions(actions, trigger))
    user = _part(problems, keys, "user", lambda n: _user(n, users))
    automated = attempt(
        problems, lambda: flag(keys.get("allow_automated"), "allow_automated")
    )
    enabled = attempt(
        problems, lambda: flag(keys.get("enabled"), "enabled", default=True)
    )
    if problems:
        raise InvalidParts(problems)
    assert rule_id is not None and trigger is not None and actions is not None
    rule = Rule(
        id=rule_id,
        description=description or "",
        trigger=trigger,
        condition=condition,
        actions=actions,
        path=path,
        line=node.line,
        allow_automated=bool(automated),
        user=user,
    )
    return rule, bool(enabled)


def _part(
    problems: list[Invalid],
    keys: dict[str, Node],
    key: str,
    parse: Callable[[Node], T],
) -> T | None:
    """The rule's `key` parsed, None when it is absent or has problems."""
    if key not in keys:
        return None
    node = keys[key]
    return attempt(problems, lambda: parse(node))


def _rule_id(node: Node) -> str:
    rule_id = word(node, "id")
    if not _RULE_ID.match(rule_id):
        raise Invalid(
            node.line,
            "id: use lower-case letters, digits, - and _ (like follow-up-3-days)",
        )
    return rule_id


def _description(node: Node) -> str:
    if node.value is None or not str(node.value).strip():
        raise Invalid(node.line, "description: say in a few words what the rule does")
    return str(node.value)


def _user(node: Node, users: Collection[str]) -> str:
    user = word(node, "user")
    if user not in users:
        raise Invalid(node.line, f"user: {user!r} is not configured")
    return user


def parse_trigger(node: Node) -> Trigger:
    if isinstance(node.value, str):
        kind = word(node, "trigger", TRIGGERS)
        if kind in ("no_reply", "schedule"):
            raise Invalid(node.line, f"trigger {kind} needs options (see README)")
        return Trigger(kind)
    if not isinstance(node.value, dict) or len(node.value) != 1:
        raise Invalid(node.line, f"trigger is one of {', '.join(TRIGGERS)}")
    [(kind, options)] = node.value.items()
    word(Node(kind, node.line), "trigger", TRIGGERS)
    where = f"trigger {kind}"
    if kind == "no_reply":
        keys = mapping(options, where, ("after", "within"), ("after", "within"))
        return Trigger(
            kind,
            after=word(keys["after"], f"{where}.after", ("outbound", "inbound")),
            within=duration(keys["within"], f"{where}.within"),
        )
    if kind == "schedule":
        keys = mapping(options, where, ("cron", "business_days_only"), ("cron",))
        cron = word(keys["cron"], f"{where}.cron")
        try:
            check_cron(cron)
        except CronError as exc:
            raise Invalid(keys["cron"].line, f"{where}.cron: {exc}") from exc
        business = flag(keys.get("business_days_only"), f"{where}.business_days_only")
        return Trigger(kind, cron=cron, business_days_only=business)
    if kind == "ticket_changed" and options.value is not None:
        keys = mapping(options, where, ("fields",))
        fields = keys.get("fields")
        if fields is None or not isinstance(fields.value, list):
            raise Invalid(options.line, f"{where}.fields takes a list")
        names = tuple(
            word(item, f"{where}.fields", TICKET_FIELDS) for item in fields.value
        )
        return Trigger(kind, fields=names)
    if options.value not in (None, {}):
        raise Invalid(options.line, f"trigger {kind} takes no options")
    return Trigger(kind)


def _check_fields(condition: Condition, trigger: Trigger) -> None:
    for field, line in condition.fields():
        if trigger.kind not in field.triggers:
            raise Invalid(
                line,
                f"{field.name} has no value for trigger {trigger.kind}; "
                "a schedule has only time.* fields",
            )


def _check_actions(actions: tuple[ActionSpec, ...], trigger: Trigger) -> None:
    about_message = trigger.kind in MESSAGE_TRIGGERS
    for action in actions:
        if trigger.kind == "schedule" and isinstance(
            action, TicketSpec | TagSpec | AssignSpec | OutreachSpec
        ):
            raise Invalid(
                action.line,
                "a schedule has no message or contact: use activity, notify or stop",
            )
        if isinstance(action, TicketSpec) and not about_message:
            raise Invalid(action.line, "ticket opens only from a message trigger")


def _peek_id(node: Node) -> str | None:
    if isinstance(node.value, dict) and "id" in node.value:
        value = node.value["id"].value
        return str(value) if value is not None else None
    return None
