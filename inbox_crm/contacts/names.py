"""Display names as linking compares them, and the fuzzy score between two.

The score is rapidfuzz's `token_sort_ratio` over names folded to lower-case
ASCII letters: word order does not count ("Byron, Ada" is "Ada Byron"),
letter case and accents do not count, but a missing or different word does,
so "Ada" alone never scores high against "Ada Byron". `WRatio` and
`token_set_ratio` were rejected: both give a full score to a name that is
only part of another.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, utils

_VIA = re.compile(r"\s+(?:via|through|on behalf of)\s+.+$", re.I)
_NON_LETTERS = re.compile(r"[^\w\s]+|_")
_SPACES = re.compile(r"\s+")


def person_name(display: str) -> str:
    """The person in a display name: quotes, "via List" and "Last, First" undone."""
    name = display.strip().strip("\"'").strip()
    name = _VIA.sub("", name)
    if "@" in name:
        return ""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if last and first and " " not in last:
            name = f"{first} {last}"
    return _SPACES.sub(" ", name).strip()


def fold_name(name: str) -> str:
    """Lower-case ASCII words of a name: "Jürgen Weiß" gives "jurgen weiss"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NON_LETTERS.sub(" ", letters)).strip()


def name_key(name: str) -> str:
    """The indexed form of a name: folded words of two letters or more, sorted.

    Initials drop out, so "Ada K. Byron", "byron, ada" and "ADA BYRON" share
    the key "ada byron". A single word gives no key: it names no one surely.
    """
    words = sorted(w for w in fold_name(person_name(name)).split() if len(w) > 1)
    return " ".join(words) if len(words) > 1 else ""


def similarity(a: str, b: str) -> float:
    """How alike two names are, from 0.0 to 1.0 (see the module docstring)."""
    left, right = _words(a), _words(b)
    if not left or not right:
        return 0.0
    score = fuzz.token_sort_ratio(left, right, processor=utils.default_process)
    return float(score) / 100.0


def _words(name: str) -> str:
    folded = fold_name(person_name(name))
    words = [word for word in folded.split() if len(word) > 1]
    return " ".join(words) if len(words) > 1 else folded
