"""Subject keys and message-id lists, the raw material of threading.

A subject key is the subject with its reply and forward markers removed,
whitespace collapsed and case folded, so that "AW: Re[2]: Angebot" and
"angebot" compare equal.

Markers are recognised only with their colon (ASCII ":" or full-width "："):
"Reading list", "AWS outage" and a bare "Fwd" are subjects, not markers.
Counters such as "Re[2]:", "RE(3):", "Re^2:" and "Re*2:" are accepted.
The single letters Italian Outlook writes ("R:" for a reply, "I:" for a
forward) count only in capitals, with the colon touching the letter and a
space after it, because a lone letter is otherwise too likely to be part of
the subject itself.

Left out on purpose: French "Ref:" and Icelandic "FS:", which are common
openings of English subjects ("Ref: invoice 42", "FS: bicycle").

Bracketed tags ("[dev-list]", "[Ticket#11168]", "[PATCH]") are kept: their
look does not tell a mailing-list name from a ticket number. Markers before,
between and after leading tags are removed and a repeated tag is kept once,
so "[dev] Re: Launch", "Re: [dev] Launch" and "[dev] Launch" share a key.
A forward wrapped whole in brackets ("[Fwd: Launch]") and a "(fwd)" suffix
are unwrapped too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

REPLY_PREFIXES: tuple[str, ...] = (
    "Re",  # Latin "in re"; English and most clients
    "AW",  # German Antwort
    "Antwort",  # German (Lotus Notes)
    "Antw",  # Dutch Antwoord
    "SV",  # Danish, Norwegian, Swedish, Icelandic svar
    "VS",  # Finnish vastaus (also the Danish/Norwegian forward)
    "Odp",  # Polish and Czech odpowiedź / odpověď
    "RES",  # Portuguese resposta
    "RIF",  # Italian riferimento
    "YNT",  # Turkish yanıt
    "Vá",  # Hungarian válasz
    "Válasz",  # Hungarian
    "BLS",  # Indonesian balas
    "Отв",  # Russian ответ
    "Ответ",  # Russian
    "Відп",  # Ukrainian відповідь
    "ΑΠ",  # Greek απάντηση
    "ΣΧΕΤ",  # Greek σχετικό
    "رد",  # Arabic
    "השב",  # Hebrew
    "回复",  # Simplified Chinese
    "回覆",  # Traditional Chinese
    "答复",  # Simplified Chinese
    "答覆",  # Traditional Chinese
    "返信",  # Japanese
    "회신",  # Korean
)

FORWARD_PREFIXES: tuple[str, ...] = (
    "Fwd",  # English
    "Fw",  # English (Outlook)
    "WG",  # German weitergeleitet
    "TR",  # French transféré
    "RV",  # Spanish reenviado
    "VB",  # Swedish vidarebefordrat
    "VL",  # Finnish välitetty
    "Doorst",  # Dutch doorsturen
    "ENC",  # Portuguese encaminhado
    "PD",  # Polish przekazane dalej
    "İLT",  # Turkish iletilen
    "Tov",  # Hungarian továbbítás
    "Továbbítás",  # Hungarian
    "TRS",  # Indonesian terusan
    "Пересл",  # Russian переслано
    "ΠΡΘ",  # Greek προωθημένο
    "إعادة توجيه",  # Arabic
    "הועבר",  # Hebrew
    "转发",  # Simplified Chinese
    "轉寄",  # Traditional Chinese
    "轉發",  # Traditional Chinese
    "転送",  # Japanese
    "전달",  # Korean
)


def _alternation(words: Iterable[str]) -> str:
    longest_first = sorted(words, key=len, reverse=True)
    return "|".join(re.escape(word) for word in longest_first)


# Subjects are matched after whitespace is collapsed to single spaces, so one
# optional space stands for any run of blanks.
_COUNTER = r"(?:\[\d+\]|\(\d+\)|\^\d+|\*\d+)"
_WORDS = _alternation(REPLY_PREFIXES + FORWARD_PREFIXES)
_PREFIX = re.compile(rf"(?:{_WORDS}) ?{_COUNTER}? ?[:：] ?", re.IGNORECASE)
_LETTER_PREFIX = re.compile(r"[RI][:：] ")
_TAG = re.compile(r"\[[^\[\]]*\] ?")
_FORWARD_SUFFIX = re.compile(r" ?\(fwd\)$", re.IGNORECASE)

_ANGLE_ID = re.compile(r"<([^<>]*)>")


def normalize_subject(subject: str) -> str:
    """Return the comparison key of a subject: markers removed, folded."""
    tags, _, rest = _split_head(subject)

    while (match := _FORWARD_SUFFIX.search(rest)) is not None:
        rest = rest[: match.start()]

    return " ".join([*tags, rest]).strip().casefold()


def has_reply_prefix(subject: str) -> bool:
    """Tell whether a subject opens with a reply or forward marker.

    Leading tags are looked past ("[dev] Re: x" is a reply); a "(fwd)" suffix
    alone does not count, since it is no prefix.
    """
    _, marked, _ = _split_head(subject)
    return marked


def _split_head(subject: str) -> tuple[list[str], bool, str]:
    """Peel markers and tags off the front: (tags kept, any marker, rest)."""
    # NFC so that an accent typed as a combining mark matches "Vá".
    rest = " ".join(unicodedata.normalize("NFC", subject).split())
    tags: list[str] = []
    marked = False

    while True:
        unmarked = _strip_marker(rest)
        if unmarked is not None:
            rest, marked = unmarked, True
            continue

        match = _TAG.match(rest)
        if match is None:
            return tags, marked, rest
        tag = match.group().rstrip()
        if tag.casefold() not in (kept.casefold() for kept in tags):
            tags.append(tag)
        rest = rest[match.end() :]


def _strip_marker(text: str) -> str | None:
    """Return `text` without its leading marker, or None when it has none."""
    match = _PREFIX.match(text) or _LETTER_PREFIX.match(text)
    if match is not None:
        return text[match.end() :]

    wrapped = text.startswith("[") and text.endswith("]")
    if wrapped and _PREFIX.match(text, 1) is not None:
        return text[1:-1]
    return None


def parse_message_ids(header: str | None) -> list[str]:
    """Return the message ids of a References or In-Reply-To value.

    Ids come back without angle brackets and without the whitespace that
    folding or a careless client put inside them, first occurrence first.
    Comments and text between ids are ignored. An id cut off before its
    closing ">" (a References line truncated by some gateway) is dropped,
    since a partial id would never match. A value with no bracketed id at
    all is taken as one id when it is a single word containing "@".
    """
    if not header:
        return []
    text = _drop_comments(header)

    found = ["".join(inner.split()) for inner in _ANGLE_ID.findall(text)]
    if not found:
        found = _bare_id(text)

    return list(dict.fromkeys(message_id for message_id in found if message_id))


def _drop_comments(text: str) -> str:
    """Blank out parenthesised comments that sit outside angle brackets."""
    kept: list[str] = []
    depth = 0
    inside_id = False

    for char in text:
        if depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            continue
        if char == "(" and not inside_id:
            depth = 1
            kept.append(" ")
            continue
        if char in "<>":
            inside_id = char == "<"
        kept.append(char)

    return "".join(kept)


def _bare_id(text: str) -> list[str]:
    words = text.split()
    if len(words) != 1 or "@" not in words[0]:
        return []
    return [words[0].strip("<>")]
