"""Checking the shape of YAML mappings: known keys, required keys, types."""

from __future__ import annotations

from inbox_crm.businesstime.durations import Duration, DurationError, parse_duration
from inbox_crm.rules.problems import Invalid
from inbox_crm.rules.source import Node


def mapping(
    node: Node,
    where: str,
    allowed: tuple[str, ...],
    required: tuple[str, ...] = (),
    problems: list[Invalid] | None = None,
) -> dict[str, Node]:
    """The keys of a mapping node, refusing unknown keys and missing ones.

    With `problems`, unknown and missing keys are noted there and the known
    keys returned; otherwise the first one raises Invalid.
    """
    if not isinstance(node.value, dict):
        raise Invalid(node.line, f"{where} must be a mapping of {', '.join(allowed)}")
    found = [
        Invalid(
            child.line, f"{where}: unknown key {key!r}; allowed: {', '.join(allowed)}"
        )
        for key, child in node.value.items()
        if key not in allowed
    ] + [
        Invalid(node.line, f"{where}: {key} is required")
        for key in required
        if key not in node.value
    ]
    if found and problems is None:
        raise found[0]
    if problems is not None:
        problems.extend(found)
    return {key: child for key, child in node.value.items() if key in allowed}


def word(node: Node, where: str, choices: tuple[str, ...] = ()) -> str:
    value = node.value
    if not isinstance(value, str) or not value.strip():
        raise Invalid(node.line, f"{where} takes a non-empty word")
    if choices and value not in choices:
        raise Invalid(
            node.line,
            f"{where}: {value!r} is not allowed; allowed: {', '.join(choices)}",
        )
    return value


def flag(node: Node | None, where: str, default: bool = False) -> bool:
    if node is None:
        return default
    if not isinstance(node.value, bool):
        raise Invalid(node.line, f"{where} takes true or false")
    return node.value


def duration(node: Node, where: str) -> Duration:
    try:
        return parse_duration(str(node.value))
    except DurationError as exc:
        raise Invalid(node.line, f"{where}: {exc}") from exc
