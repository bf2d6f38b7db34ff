"""Problems found in rule files, each naming file, line, rule and the fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from inbox_crm.errors import ConfigError
from inbox_crm.wording import counted

T = TypeVar("T")


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong in a rule file."""

    path: Path
    line: int
    rule: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.rule:
            return f"{where}: rule {self.rule}: {self.message}"
        return f"{where}: {self.message}"


class RuleSetError(ConfigError):
    """The rule files are invalid; the agent does not start on them."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        count = len(problems)
        lines = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(
            f"{counted(count, 'problem')} in the rule files "
            f"(fix them, then run `inbox-crm rules check`):\n{lines}"
        )


class Invalid(Exception):
    """Raised inside the loader at the first problem of one part of a rule."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class InvalidParts(Exception):
    """Raised by the loader for a rule with problems in several of its parts."""

    def __init__(self, problems: list[Invalid]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


def attempt(problems: list[Invalid], parse: Callable[[], T]) -> T | None:
    """`parse()`, or None with its problems noted, so the next part is checked."""
    try:
        return parse()
    except Invalid as exc:
        problems.append(exc)
    except InvalidParts as exc:
        problems.extend(exc.problems)
    return None
