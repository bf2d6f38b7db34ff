"""Text in actions: sandboxed Jinja expressions, checked when rules load."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import (
    Template,
    TemplateError,
    TemplateSyntaxError,
    Undefined,
    meta,
    nodes,
)
from jinja2.sandbox import SandboxedEnvironment

from inbox_crm.rules.problems import Invalid

PARTY_FIELDS = ("id", "name", "tags", "fields", "owner")
# Each variable with the keys it has (see planner.template_context); a name
# without keys is a plain value.
VARIABLES: dict[str, tuple[str, ...]] = {
    "message": (
        "id",
        "subject",
        "from",
        "from_name",
        "to",
        "cc",
        "date",
        "direction",
        "kind",
        "mailbox",
    ),
    "contact": PARTY_FIELDS,
    "company": PARTY_FIELDS,
    "match": ("method", "score"),
    "ticket": ("number", "status", "priority", "queue", "assignee", "subject"),
    "thread": ("id", "messages"),
    "rule": ("id", "description"),
    "now": (),
}
KNOWN_FIELDS = tuple(
    f"{name}.{key}" for name, keys in VARIABLES.items() for key in keys
)


class OptionalUndefined(Undefined):
    """Strict, except that a known field of an absent value renders empty.

    Names and fields are checked when the rules load, so `contact.name` for a
    sender who is no contact is a value that is not there, not a typo; any
    other undefined value (a missing custom field, say) fails the firing.
    """

    __slots__ = ()

    def _absent(self) -> bool:
        return self._undefined_obj is None

    def __str__(self) -> str:
        if self._absent():
            return ""
        return self._fail_with_undefined_error()

    def __bool__(self) -> bool:
        if self._absent():
            return False
        return self._fail_with_undefined_error()

    def __iter__(self) -> Iterator[Any]:
        if self._absent():
            return iter(())
        return self._fail_with_undefined_error()

    def __len__(self) -> int:
        if self._absent():
            return 0
        return self._fail_with_undefined_error()

    def __getattr__(self, name: str) -> Any:
        if self._absent() and not name.startswith("__"):
            return self
        return super().__getattr__(name)


def _empty_for_none(value: Any) -> Any:
    """A known value that is not set (a contact without owner) prints as nothing."""
    return "" if value is None else value


_ENVIRONMENT = SandboxedEnvironment(
    undefined=OptionalUndefined, finalize=_empty_for_none, autoescape=False
)


class TextError(Exception):
    """A template in an action could not be rendered for this event."""


@dataclass(frozen=True)
class Text:
    """A piece of action text; plain text renders as itself."""

    source: str
    line: int
    template: Template

    def render(self, context: dict[str, Any]) -> str:
        try:
            return self.template.render(context).strip()
        except TemplateError as exc:
            raise TextError(
                f"line {self.line}: cannot render {self.source!r}: {exc}"
            ) from exc


def compile_text(value: object, line: int, key: str) -> Text:
    """Compile an action's text; Invalid on a syntax error, unknown name or field."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Invalid(line, f"{key} takes text (quote words like yes, no, on, off)")
    source = str(value)
    try:
        tree = _ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        raise Invalid(line, f"{key}: template error: {exc.message}") from exc

    unknown = sorted(meta.find_undeclared_variables(tree) - set(VARIABLES))
    if unknown:
        raise Invalid(
            line,
            f"{key}: unknown template variable {', '.join(unknown)}"
            f"{_suggestion(unknown[0], VARIABLES)}; "
            f"available: {', '.join(VARIABLES)}",
        )

    fields = list(dict.fromkeys(_unknown_fields(tree)))
    if fields:
        name = fields[0].partition(".")[0]
        raise Invalid(
            line,
            f"{key}: unknown field {', '.join(fields)}"
            f"{_suggestion(fields[0], KNOWN_FIELDS)}; "
            f"{name} has: {', '.join(VARIABLES[name])}",
        )
    return Text(source, line, _ENVIRONMENT.from_string(source))


def _unknown_fields(tree: nodes.Template) -> Iterator[str]:
    """`name.key` for each key the template reads that its variable lacks."""
    assigned = {
        node.name
        for node in tree.find_all(nodes.Name)
        if node.ctx in ("store", "param")
    }
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        base, key = _read(node)
        if base is None or base.name in assigned or not VARIABLES.get(base.name):
            continue
        if isinstance(key, str) and key not in VARIABLES[base.name]:
            yield f"{base.name}.{key}"


def _read(node: nodes.Node) -> tuple[nodes.Name | None, object]:
    """The variable and the constant key of `name.key` or `name["key"]`."""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
        return node.node, node.attr
    if (
        isinstance(node, nodes.Getitem)
        and isinstance(node.node, nodes.Name)
        and isinstance(node.arg, nodes.Const)
    ):
        return node.node, node.arg.value
    return None, None


def _suggestion(wrong: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(wrong, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
