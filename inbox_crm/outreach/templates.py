"""Outreach templates: one folder per template, rendered in a Jinja2 sandbox.

    templates/introduction/subject.txt   the subject line (required)
    templates/introduction/body.txt      the text part (required)
    templates/introduction/body.html     the HTML part (optional)
    templates/_partials/...              shared pieces for {% include %}

A value the template uses but the context lacks is an error (StrictUndefined),
never a blank in a sent mail; a known value that is not set (a contact
without an owner) prints as nothing, never as "None". Only `.html` files are
HTML-escaped; the subject and the text part are sent as rendered.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from inbox_crm.errors import TemplateError

SUBJECT = "subject.txt"
TEXT = "body.txt"
HTML = "body.html"
# Folders of the templates folder that hold other mail than outreach.
RESERVED = ("digest",)
# Line breaks, tabs and other control characters: none may reach a header.
_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class RenderedMail:
    """What a template made for one recipient: subject, text and optional HTML."""

    subject: str
    text: str
    html: str | None


class TemplateLibrary:
    """The templates of one folder, rendered in a sandbox with strict undefined."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.environment = SandboxedEnvironment(
            # The resolved folder, so error frames carry paths _location knows.
            loader=jinja2.FileSystemLoader(self.directory),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html",), default_for_string=False, default=False
            ),
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_empty_for_none,
        )

    def names(self) -> list[str]:
        """Every template in the folder: subfolders with a subject and a text part."""
        if not self.directory.is_dir():
            return []
        return sorted(
            path.name
            for path in self.directory.iterdir()
            if path.is_dir()
            and not path.name.startswith(("_", "."))
            and path.name not in RESERVED
            and (path / SUBJECT).is_file()
            and (path / TEXT).is_file()
        )

    def render(self, name: str, context: Mapping[str, Any]) -> RenderedMail:
        """Render template `name`; any missing value or error names file and line."""
        self._check_exists(name)
        subject = one_line(self._render(f"{name}/{SUBJECT}", context))
        if not subject:
            raise TemplateError(f"{self._path(name, SUBJECT)}: the subject is empty")
        text = self._render(f"{name}/{TEXT}", context)
        html = None
        if (self.directory / name / HTML).is_file():
            html = self._render(f"{name}/{HTML}", context)
        return RenderedMail(subject=subject, text=text, html=html)

    def _check_exists(self, name: str) -> None:
        if "/" in name or "\\" in name or name.startswith((".", "_")):
            raise TemplateError(f"{name!r} is not a template name")
        folder = self.directory / name
        if not (folder / SUBJECT).is_file() or not (folder / TEXT).is_file():
            known = ", ".join(self.names()) or "none"
            raise TemplateError(
                f"no template {name!r} in {self.directory}: a template is a folder "
                f"with {SUBJECT} and {TEXT} (and optionally {HTML}); found: {known}"
            )

    def _render(self, template_name: str, context: Mapping[str, Any]) -> str:
        try:
            template = self.environment.get_template(template_name)
            return template.render(context)
        except jinja2.TemplateSyntaxError as exc:
            where = exc.filename or str(self.directory / template_name)
            raise TemplateError(f"{where}:{exc.lineno}: {exc.message}") from exc
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                f"{self.directory / template_name}: includes {exc.name!r}, "
                f"which is not in {self.directory}"
            ) from exc
        except jinja2.UndefinedError as exc:
            where = self._location(exc, template_name)
            what = _unknown_field(exc.message or "", where, context) or exc.message
            raise TemplateError(f"{where}: {what}; {_hint(exc.message or '')}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{self._location(exc, template_name)}: {exc}") from exc
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateError(
                f"{self._location(exc, template_name)}: {type(exc).__name__}: {exc}"
            ) from exc

    def _location(self, exc: BaseException, template_name: str) -> str:
        """The template file and line an error came from (Jinja maps its frames)."""
        root = str(self.directory)
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.startswith(root):
                return f"{frame.filename}:{frame.lineno}"
        return str(self.directory / template_name)

    def _path(self, name: str, part: str) -> Path:
        return self.directory / name / part


_NO_ATTRIBUTE = re.compile(r"^'[\w ]+' has no attribute '(\w+)'$")


def _unknown_field(message: str, where: str, context: Mapping[str, Any]) -> str | None:
    """'unknown field contact.nmae (contact has: ...)' for a misspelt field."""
    found = _NO_ATTRIBUTE.match(message)
    path, _, line = where.rpartition(":")
    if found is None or not line.isdigit():
        return None
    try:
        source = Path(path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    field = found.group(1)
    used = re.search(rf"\b([A-Za-z_]\w*)\.{field}\b", source)
    if used is None:
        return None
    name = used.group(1)
    value = context.get(name)
    if not isinstance(value, Mapping):
        return f"unknown field {name}.{field}"
    return f"unknown field {name}.{field} ({name} has: {', '.join(sorted(value))})"


def _hint(message: str) -> str:
    """What to do about an undefined value, in the user's terms."""
    if message.startswith("'None' has no attribute"):
        return (
            "a value is empty for this recipient: thread and last_message need "
            "--in-thread, company needs a contact with a company; the mail was "
            "not made (test it with {% if thread %}...{% endif %})"
        )
    return (
        "the mail was not made (use `| default(...)` or "
        "`{% if ... is defined %}` for a value that may be missing)"
    )


def _empty_for_none(value: Any) -> Any:
    return "" if value is None else value


def one_line(text: str) -> str:
    """`text` with every run of whitespace or control characters as one space."""
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=8)
def template_library(directory: Path) -> TemplateLibrary:
    """The library of `directory`, shared so Jinja's compiled templates are reused."""
    return TemplateLibrary(directory)
