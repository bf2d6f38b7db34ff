"""Counts and articles read as English: 1 contact, 2 contacts, an urgent ticket."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inbox_crm.wording import counted, plural, with_article


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "contact", "0 contacts"),
        (1, "contact", "1 contact"),
        (2, "contact", "2 contacts"),
        (1, "new company", "1 new company"),
        (3, "new company", "3 new companies"),
        (1, "activity", "1 activity"),
        (2, "activity", "2 activities"),
        (2, "day", "2 days"),
        (2, "address", "2 addresses"),
        (2, "match", "2 matches"),
        (2, "no-reply rule", "2 no-reply rules"),
    ],
)
def test_a_count_takes_the_noun_in_its_number(
    count: int, noun: str, expected: str
) -> None:
    assert counted(count, noun) == expected


def test_an_irregular_plural_is_given() -> None:
    assert counted(2, "copy was", "copies were") == "2 copies were"
    assert counted(1, "copy was", "copies were") == "1 copy was"
    assert plural("key") == "keys"


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("urgent ticket", "an urgent ticket"),
        ("normal ticket", "a normal ticket"),
        ("high ticket", "a high ticket"),
        ("low ticket", "a low ticket"),
        ("email", "an email"),
        ("inbound message", "an inbound message"),
        ("outbound message", "an outbound message"),
        ("user", "a user"),
        ("unique id", "a unique id"),
        ("hour", "an hour"),
        ("one-off task", "a one-off task"),
        ("Urgent", "an Urgent"),
    ],
)
def test_the_article_fits_the_sound_of_the_next_word(
    phrase: str, expected: str
) -> None:
    assert with_article(phrase) == expected


# Nouns the commands count; after an interpolated number they go through
# counted(), so that one of them never reads "1 contacts".
COUNTED_NOUNS = (
    "activities|attempts|companies|conditions|contacts|events|files|hours|links"
    "|messages|participants|problems|records|rules|slots|threads|tickets"
)
COUNT_THEN_PLURAL = re.compile(r"\{[^{}]+\} (?:[a-z-]+ )?(?:" + COUNTED_NOUNS + r")\b")
# "a" or "an" before an interpolated word must be chosen by with_article().
ARTICLE_THEN_VALUE = re.compile(r"\ban? \{")


def test_no_output_line_writes_a_fixed_plural_or_article_beside_a_value() -> None:
    package = Path(__file__).resolve().parents[1] / "inbox_crm"
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "wording.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if 'f"' not in line and "f'" not in line:
                continue
            if COUNT_THEN_PLURAL.search(line) or ARTICLE_THEN_VALUE.search(line):
                found.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert found == []
