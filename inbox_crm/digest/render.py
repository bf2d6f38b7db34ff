"""Rendering a digest with the `digest` template: a subject, a text and an HTML part.

The template lives in the templates folder beside the outreach templates
(`templates/digest/`), rendered in the same sandbox with strict undefined
values. A templates folder without one (made before digests existed) uses
the template shipped with inbox-crm.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from inbox_crm.outreach.templates import (
    SUBJECT,
    TEXT,
    RenderedMail,
    template_library,
)

log = logging.getLogger(__name__)

TEMPLATE = "digest"
SHIPPED = Path(__file__).parents[1] / "starter" / "templates"


def render_digest(templates: Path, content: dict[str, Any]) -> RenderedMail:
    """The digest mail for `content`; TemplateError names the file and line."""
    return template_library(digest_templates(templates)).render(TEMPLATE, content)


def digest_templates(templates: Path) -> Path:
    """The folder whose `digest` template is used: the configured one if it has it."""
    folder = templates / TEMPLATE
    if (folder / SUBJECT).is_file() and (folder / TEXT).is_file():
        return templates
    log.debug("no digest template in %s; using the shipped one", templates)
    return SHIPPED
