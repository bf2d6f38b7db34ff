"""The condition language: all / any / not over field tests, with explanations.

A condition is a mapping of exactly one key: `all` or `any` (a list of
conditions), `not` (one condition), or a field name. A field takes a plain
value (equality; a list means "one of") or a mapping of one operator, plus
`case_sensitive: true` for text. Text comparisons ignore case by default. A
field that has no value for an event (no contact, say) fails every test but
`exists: false`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import time
from typing import Any, Protocol

from inbox_crm.rules.facts import Facts
from inbox_crm.rules.fields import FIELDS, Field, lookup
from inbox_crm.rules.problems import Invalid
from inbox_crm.rules.source import Node
from inbox_crm.wording import counted

TEXT_OPS = ("equals", "in", "contains", "matches", "starts_with", "ends_with")
OPERATORS = {
    "text": (*TEXT_OPS, "exists"),
    "texts": (*TEXT_OPS, "exists"),
    "number": ("equals", "in", "at_least", "at_most", "between", "exists"),
    "bool": ("equals", "exists"),
    "choice": ("equals", "in", "exists"),
    "clock": ("equals", "at_least", "at_most", "between"),
}
_MISSING = object()
_FOLDING = frozenset({"equals", "in", "contains", "starts_with", "ends_with"})


class Condition(Protocol):
    @property
    def line(self) -> int: ...

    @property
    def run(self) -> Callable[[Facts], bool]: ...

    def test(self, facts: Facts) -> bool: ...

    def explain(self, facts: Facts) -> tuple[bool, str]: ...

    def fields(self) -> Iterator[tuple[Field, int]]: ...


@dataclass(frozen=True)
class Group:
    """`all` or `any` of several conditions."""

    mode: str
    children: tuple[Condition, ...]
    line: int
    run: Callable[[Facts], bool] = dataclass_field(init=False, repr=False)

    def __post_init__(self) -> None:
        runs = tuple(child.run for child in self.children)
        if self.mode == "all":
            # Plain loops: all()/any() over a generator cost a frame per test.
            def run_all(facts: Facts) -> bool:
                for run in runs:  # noqa: SIM110
                    if not run(facts):
                        return False
                return True

            object.__setattr__(self, "run", run_all)
            return

        def run_any(facts: Facts) -> bool:
            for run in runs:  # noqa: SIM110
                if run(facts):
                    return True
            return False

        object.__setattr__(self, "run", run_any)

    def test(self, facts: Facts) -> bool:
        return self.run(facts)

    def explain(self, facts: Facts) -> tuple[bool, str]:
        wanted = self.mode == "any"
        for child in self.children:
            result, reason = child.explain(facts)
            if result == wanted:
                return result, reason
        count = len(self.children)
        if self.mode == "all":
            return True, f"all {counted(count, 'condition')} held (line {self.line})"
        return False, f"none of {counted(count, 'condition')} held (line {self.line})"

    def fields(self) -> Iterator[tuple[Field, int]]:
        for child in self.children:
            yield from child.fields()


@dataclass(frozen=True)
class Negation:
    """`not` of one condition."""

    child: Condition
    line: int
    run: Callable[[Facts], bool] = dataclass_field(init=False, repr=False)

    def __post_init__(self) -> None:
        inner = self.child.run
        object.__setattr__(self, "run", lambda facts: not inner(facts))

    def test(self, facts: Facts) -> bool:
        return self.run(facts)

    def explain(self, facts: Facts) -> tuple[bool, str]:
        result, reason = self.child.explain(facts)
        return not result, f"not: {reason}"

    def fields(self) -> Iterator[tuple[Field, int]]:
        yield from self.child.fields()


@dataclass(frozen=True)
class Test:
    """One operator applied to one field."""

    field: Field
    op: str
    operand: Any
    fold: bool
    check: Callable[[Any], bool]
    line: int
    run: Callable[[Facts], bool] = dataclass_field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "run", _compile(self))

    @property
    def check_operand(self) -> Any:
        """The operand as compared: folded unless the test is case-sensitive."""
        return _casefold(self.operand) if self.fold else self.operand

    def test(self, facts: Facts) -> bool:
        return self.run(facts)

    def explain(self, facts: Facts) -> tuple[bool, str]:
        result = self.test(facts)
        value = self.field.get(facts)
        shown = "no value" if value is None else _short(value)
        operand = _short(self.operand)
        verdict = "held" if result else "failed"
        return result, (
            f"{self.field.name} {self.op} {operand} {verdict} (line {self.line}; "
            f"value: {shown})"
        )

    def fields(self) -> Iterator[tuple[Field, int]]:
        yield self.field, self.line


def _compile(test: Test) -> Callable[[Facts], bool]:
    """One closure for the hot path: cached field value, then the operator."""
    key = (test.field.name, test.fold)
    get, fold, check = test.field.get, test.fold, test.check

    def value(facts: Facts) -> Any:
        cache = facts.cache
        found = cache.get(key, _MISSING)
        if found is _MISSING:
            found = get(facts)
            cache[key] = found = _casefold(found) if fold else found
        return found

    if test.op == "exists":
        wanted = bool(test.operand)
        return lambda facts: (value(facts) not in (None, ())) == wanted
    if test.field.kind == "texts":

        def run_many(facts: Facts) -> bool:
            found = value(facts)
            if found is None:
                return False
            for item in found:  # noqa: SIM110
                if check(item):
                    return True
            return False

        return run_many
    if test.op == "equals":
        operand = test.check_operand
        return lambda facts: value(facts) == operand
    if test.op == "contains":
        operand = test.check_operand

        def run_contains(facts: Facts) -> bool:
            found = value(facts)
            return found is not None and operand in found

        return run_contains

    def run_one(facts: Facts) -> bool:
        found = value(facts)
        return found is not None and check(found)

    return run_one


def parse_condition(node: Node) -> Condition:
    """Build a condition from its YAML node; Invalid names line and fix."""
    if not isinstance(node.value, dict) or len(node.value) != 1:
        raise Invalid(
            node.line,
            "a condition is a mapping of one key: all, any, not, or a field "
            "(like subject: {contains: invoice})",
        )
    [(key, value)] = node.value.items()
    if key in ("all", "any"):
        if not isinstance(value.value, list) or not value.value:
            raise Invalid(value.line, f"{key} takes a non-empty list of conditions")
        children = tuple(parse_condition(child) for child in value.value)
        return Group(key, children, node.line)
    if key == "not":
        return Negation(parse_condition(value), node.line)
    field = lookup(key)
    if field is None:
        raise Invalid(node.line, _unknown_field(key))
    return _parse_test(field, value)


def _parse_test(field: Field, node: Node) -> Test:
    if isinstance(node.value, dict):
        options = dict(node.value)
        sensitive_node = options.pop("case_sensitive", None)
        if len(options) != 1:
            allowed = ", ".join(OPERATORS[field.kind])
            raise Invalid(
                node.line, f"{field.name}: give exactly one operator ({allowed})"
            )
        [(op, operand)] = options.items()
        sensitive = _case_option(field, sensitive_node)
    else:
        op = "in" if isinstance(node.value, list) else "equals"
        operand, sensitive = node, False
    if op not in OPERATORS[field.kind]:
        allowed = ", ".join(OPERATORS[field.kind])
        raise Invalid(
            operand.line, f"{field.name}: unknown operator {op!r}; allowed: {allowed}"
        )
    value = _operand(field, op, operand)
    fold = field.kind in ("text", "texts") and not sensitive and op in _FOLDING
    return Test(
        field, op, value, fold, _checker(field, op, value, sensitive), node.line
    )


def _case_option(field: Field, node: Node | None) -> bool:
    if node is None:
        return False
    if field.kind not in ("text", "texts"):
        raise Invalid(node.line, f"{field.name}: case_sensitive is for text fields")
    if not isinstance(node.value, bool):
        raise Invalid(node.line, "case_sensitive must be true or false")
    return node.value


def _operand(field: Field, op: str, node: Node) -> Any:
    value = node.plain
    if op == "exists":
        if not isinstance(value, bool):
            raise Invalid(node.line, f"{field.name}: exists takes true or false")
        return value
    if op in ("in", "between"):
        if not isinstance(value, list) or not value:
            raise Invalid(node.line, f"{field.name}: {op} takes a list")
        if op == "between" and len(value) != 2:
            raise Invalid(node.line, f"{field.name}: between takes [low, high]")
        return tuple(_scalar(field, item, node.line, op) for item in value)
    return _scalar(field, value, node.line, op)


def _scalar(field: Field, value: Any, line: int, op: str) -> Any:
    kind = field.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise Invalid(line, f"{field.name} takes true or false")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(line, f"{field.name} takes a number")
        return value
    if kind == "clock":
        try:
            return time.fromisoformat(str(value)).strftime("%H:%M")
        except ValueError:
            raise Invalid(line, f"{field.name} takes a time like 09:30") from None
    if kind == "choice":
        if value not in field.choices:
            allowed = ", ".join(field.choices)
            raise Invalid(line, f"{field.name}: {value!r} is not one of {allowed}")
        return value
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Invalid(
            line, f"{field.name} takes text (quote words like yes, no, on, off)"
        )
    text = str(value)
    if op == "matches":
        try:
            re.compile(text)
        except re.error as exc:
            raise Invalid(line, f"{field.name}: bad regular expression: {exc}") from exc
    return text


def _checker(
    field: Field, op: str, operand: Any, sensitive: bool
) -> Callable[[Any], bool]:
    if field.kind in ("text", "texts") and op != "matches" and not sensitive:
        operand = _casefold(operand)
    if op == "exists":
        return lambda value: True  # Test.test decides presence itself
    if op == "equals":
        return lambda value: bool(value == operand)
    if op == "in":
        members = frozenset(operand)
        return lambda value: value in members
    if op == "contains":
        return lambda value: operand in value
    if op == "starts_with":
        return lambda value: bool(value.startswith(operand))
    if op == "ends_with":
        return lambda value: bool(value.endswith(operand))
    if op == "matches":
        pattern = re.compile(operand, 0 if sensitive else re.IGNORECASE)
        return lambda value: pattern.search(value) is not None
    if op == "at_least":
        return lambda value: bool(value >= operand)
    if op == "at_most":
        return lambda value: bool(value <= operand)
    low, high = operand
    return lambda value: bool(low <= value <= high)


def _casefold(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, tuple):
        return tuple(_casefold(item) for item in value)
    return value


def _unknown_field(name: str) -> str:
    close = difflib.get_close_matches(name, FIELDS, n=3)
    if close:
        return f"unknown field {name!r}; did you mean {' or '.join(close)}?"
    return (
        f"unknown field {name!r}; fields: {', '.join(FIELDS)}, "
        "contact.field.NAME; or all, any, not"
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
