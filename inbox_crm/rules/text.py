"""Text in actions: sandboxed Jinja expressions, checked when rules load."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from inbox_crm.rules.problems import Invalid

VARIABLES = (
    "message",
    "contact",
    "company",
    "match",
    "ticket",
    "thread",
    "rule",
    "now",
)

_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


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
    """Compile an action's text; Invalid on a syntax error or unknown variable."""
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
            f"{key}: unknown template variable {', '.join(unknown)}; "
            f"available: {', '.join(VARIABLES)}",
        )
    return Text(source, line, _ENVIRONMENT.from_string(source))
