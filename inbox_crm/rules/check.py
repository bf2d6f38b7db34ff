"""Checks of a loaded rule set against the installation: the templates it names."""

from __future__ import annotations

import difflib
from pathlib import Path

from inbox_crm.outreach.templates import TemplateLibrary
from inbox_crm.rules.model import OutreachSpec, Rule, RuleSet
from inbox_crm.rules.problems import RuleProblem


def template_problems(rules: RuleSet, templates: Path) -> list[RuleProblem]:
    """One problem for each outreach action whose template is not in `templates`."""
    known = TemplateLibrary(templates).names()
    return [
        RuleProblem(
            rule.path, action.line, rule.id, missing_template(action, templates, known)
        )
        for rule in rules.rules
        for action in rule.actions
        if isinstance(action, OutreachSpec) and action.template not in known
    ]


def missing_template(action: OutreachSpec, templates: Path, known: list[str]) -> str:
    """What is wrong with an outreach action whose template is missing."""
    close = difflib.get_close_matches(action.template, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (
        f"actions: outreach.template: no template {action.template!r} in "
        f"{templates}; {hint}templates there: {', '.join(known) or 'none'}"
    )


def rule_template_error(rule: Rule, templates: Path) -> str | None:
    """Why `rule` cannot queue its outreach (a missing template), or None."""
    known = TemplateLibrary(templates).names()
    for action in rule.actions:
        if isinstance(action, OutreachSpec) and action.template not in known:
            problem = missing_template(action, templates, known)
            return f"{rule.path}:{action.line}: {problem}"
    return None
