"""Reading the actions list of a rule into typed action specs."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

from inbox_crm.rules.model import (
    ACTIVITY_KINDS,
    ASSIGN_TARGETS,
    ASSIGNEE_ROLES,
    OUTREACH_RECIPIENTS,
    PRIORITIES,
    TAG_TARGETS,
    ActionSpec,
    ActivitySpec,
    AssignSpec,
    NotifySpec,
    OutreachSpec,
    StopSpec,
    TagSpec,
    TicketSpec,
)
from inbox_crm.rules.problems import Invalid, InvalidParts, attempt
from inbox_crm.rules.shape import duration, mapping, word
from inbox_crm.rules.source import Node
from inbox_crm.rules.text import Text, compile_text

ACTIONS = ("activity", "ticket", "tag", "assign", "outreach", "notify", "stop")


def parse_actions(node: Node, users: Collection[str]) -> tuple[ActionSpec, ...]:
    """The actions of a rule; `users` are the configured user names."""
    if not isinstance(node.value, list) or not node.value:
        raise Invalid(node.line, f"actions takes a non-empty list of {_names()}")
    problems: list[Invalid] = []
    actions = [attempt(problems, partial(_action, item, users)) for item in node.value]
    if problems:
        raise InvalidParts(problems)
    return tuple(action for action in actions if action is not None)


def _action(node: Node, users: Collection[str]) -> ActionSpec:
    if node.value == "stop":
        return StopSpec(node.line)
    if not isinstance(node.value, dict) or len(node.value) != 1:
        raise Invalid(node.line, f"an action is one of {_names()}, as a mapping")
    [(name, body)] = node.value.items()
    where = f"actions: {name}"
    if name == "activity":
        return _activity(body, where, users)
    if name == "ticket":
        keys = mapping(body, where, ("priority", "queue", "assignee", "subject"))
        return TicketSpec(
            priority=word(keys["priority"], f"{where}.priority", PRIORITIES)
            if "priority" in keys
            else "normal",
            queue=word(keys["queue"], f"{where}.queue") if "queue" in keys else "",
            assignee=_assignee(keys.get("assignee"), where, users),
            subject=_text(keys.get("subject"), f"{where}.subject"),
            line=body.line,
        )
    if name == "tag":
        keys = mapping(body, where, ("name", "target"), ("name",))
        return TagSpec(
            name=compile_text(keys["name"].value, keys["name"].line, f"{where}.name"),
            target=word(keys["target"], f"{where}.target", TAG_TARGETS)
            if "target" in keys
            else "contact",
            line=body.line,
        )
    if name == "assign":
        keys = mapping(body, where, ("owner", "target"), ("owner",))
        owner = _assignee(keys["owner"], where, users)
        assert owner is not None
        return AssignSpec(
            owner=owner,
            target=word(keys["target"], f"{where}.target", ASSIGN_TARGETS)
            if "target" in keys
            else "contact",
            line=body.line,
        )
    if name == "outreach":
        keys = mapping(body, where, ("template", "to", "delay"), ("template",))
        return OutreachSpec(
            template=word(keys["template"], f"{where}.template"),
            to=word(keys["to"], f"{where}.to", OUTREACH_RECIPIENTS)
            if "to" in keys
            else "sender",
            delay=duration(keys["delay"], f"{where}.delay")
            if "delay" in keys
            else None,
            line=body.line,
        )
    if name == "notify":
        keys = mapping(body, where, ("user", "text"), ("user", "text"))
        user = _assignee(keys["user"], where, users, roles=False)
        assert user is not None
        return NotifySpec(
            user=user,
            text=compile_text(keys["text"].value, keys["text"].line, f"{where}.text"),
            line=body.line,
        )
    if name == "stop":
        if body.value is not True:
            raise Invalid(body.line, "stop takes true (or write the action as: - stop)")
        return StopSpec(body.line)
    raise Invalid(node.line, f"unknown action {name!r}; allowed: {_names()}")


def _activity(body: Node, where: str, users: Collection[str]) -> ActivitySpec:
    keys = mapping(
        body, where, ("kind", "title", "due", "assignee", "notes"), ("title",)
    )
    return ActivitySpec(
        kind=word(keys["kind"], f"{where}.kind", ACTIVITY_KINDS)
        if "kind" in keys
        else "follow_up",
        title=compile_text(keys["title"].value, keys["title"].line, f"{where}.title"),
        due=duration(keys["due"], f"{where}.due") if "due" in keys else None,
        assignee=_assignee(keys.get("assignee"), where, users),
        notes=_text(keys.get("notes"), f"{where}.notes"),
        line=body.line,
    )


def _text(node: Node | None, where: str) -> Text | None:
    return None if node is None else compile_text(node.value, node.line, where)


def _assignee(
    node: Node | None, where: str, users: Collection[str], roles: bool = True
) -> str | None:
    if node is None:
        return None
    allowed = (*ASSIGNEE_ROLES, *sorted(users)) if roles else tuple(sorted(users))
    name = word(node, where)
    if name not in allowed:
        hint = ", ".join(allowed) if allowed else "none: add [users.NAME]"
        raise Invalid(
            node.line,
            f"{where}: {name!r} is not a user in the configuration; allowed: {hint}",
        )
    return name


def _names() -> str:
    return ", ".join(ACTIONS)
