"""Unsubscribing: the links a mail carries and recognising an unsubscribe reply.

Each outreach has a token of its own. The List-Unsubscribe header (RFC 2369)
offers a mailto whose subject carries the token and, when a base URL is
configured, an https link for one-click unsubscription (RFC 8058).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from inbox_crm.mail.subjects import normalize_subject

TOKEN_BYTES = 16
# What people write to be left alone, alone on the subject or the first line.
_REQUESTS = frozenset(
    {
        "unsubscribe",
        "unsubscribe me",
        "please unsubscribe me",
        "stop",
        "remove",
        "remove me",
        "opt out",
        "opt-out",
        "abmelden",
        "austragen",
        "désabonner",
        "désabonnement",
        "se désabonner",
        "désinscrire",
        "baja",
        "darse de baja",
        "cancelar suscripción",
        "uitschrijven",
        "afmelden",
        "cancella iscrizione",
    }
)
# ... or open the line with, in a sentence ("Stop sending me these, please").
_REQUEST_OPENINGS = re.compile(
    r"^(?:please )?(?:unsubscribe|opt[- ]?out|remove me|take me off"
    r"|stop (?:sending|emailing|e-mailing|mailing|contacting|writing)"
    r"|(?:do not|don't|dont) (?:email|e-mail|mail|contact|write) me"
    r"|bitte (?:abmelden|austragen)|keine (?:weiteren )?(?:e-?mails|mails))\b"
)
_TOKEN = re.compile(r"\bunsubscribe\s+([A-Za-z0-9_-]{16,64})\b", re.IGNORECASE)
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


@dataclass(frozen=True)
class UnsubscribeLinks:
    """Where a recipient unsubscribes: a mailto, and a one-click URL if configured."""

    mailto: str
    one_click: str | None = None

    @property
    def url(self) -> str:
        """The link to show in a mail: the web page if there is one, else mailto."""
        return self.one_click or self.mailto

    def headers(self) -> dict[str, str]:
        """List-Unsubscribe, and List-Unsubscribe-Post for one-click."""
        links = [f"<{self.mailto}>"]
        headers: dict[str, str] = {}
        if self.one_click:
            links.append(f"<{self.one_click}>")
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["List-Unsubscribe"] = ", ".join(links)
        return headers


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def unsubscribe_links(
    token: str, address: str, base_url: str | None
) -> UnsubscribeLinks:
    """The links for one outreach; `address` receives the mailto requests."""
    mailto = f"mailto:{quote(address, safe='@')}?subject=unsubscribe%20{token}"
    one_click = None
    if base_url:
        if "{token}" in base_url:
            one_click = base_url.replace("{token}", token)
        else:
            one_click = f"{base_url.rstrip('/')}/{token}"
    return UnsubscribeLinks(mailto, one_click)


def request_token(subject: str, text: str) -> str | None:
    """The token of an "unsubscribe TOKEN" mail (what the mailto link sends)."""
    for value in (subject, text[:500]):
        match = _TOKEN.search(value)
        if match:
            return match[1]
    return None


def is_unsubscribe_request(subject: str, text: str) -> bool:
    """Tell whether a reply asks to be left alone, by its subject or first line."""
    return any(
        words in _REQUESTS or _REQUEST_OPENINGS.match(words)
        for words in (_words(normalize_subject(subject)), _words(_first_line(text)))
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(">"):
            return stripped
    return ""


def _words(text: str) -> str:
    return " ".join(_EDGES.sub("", text.lower()).split())
