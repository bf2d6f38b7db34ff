"""The expectations of the peer corpus, and how what inbox-crm stored is held to them.

Read by bench/corpus.py; see its docstring for the normalisation rules.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import yaml

from bench.corpus_assertions import ASSERTIONS, SHARED_MESSAGE_IDS, ZAMMAD_CHAINS

AGREE, ACCEPTED, DISAGREE = "agree", "accepted", "disagree"

# Snapshots the corpus manifest itself calls wrong: not compared at all.
KNOWN_WRONG = {
    "mail065.box": "manifest: the snapshot records a garbled display name",
    "mail076.box": "manifest: the snapshot keeps a broken address (garbage in, out)",
}

ZAMMAD_FIELDS = ("from address", "from name", "subject", "to", "cc")


@dataclass(frozen=True)
class Accepted:
    """A field where we knowingly differ: what we store instead, and why."""

    ours: object
    reason: str


# Each accepted difference names the value we store, so a change in our output
# still shows up as a disagreement.
ACCEPTED_DIFFERENCES: dict[tuple[str, str, str], Accepted] = {
    ("zammad", "mail006.box", "from name"): Accepted(
        "Hans BÄKO Schönland",
        "two encoded words in different charsets were encoded one word at a "
        "time: the space between them is the sender's (RFC 2047 would drop "
        "it; Zammad does)",
    ),
    ("zammad", "mail016.box", "from address"): Accepted(
        "",
        "no From header: we store no sender rather than promote Reply-To, "
        "which is kept as the reply_to participant (Zammad uses it as From)",
    ),
    ("zammad", "mail018.box", "subject"): Accepted(
        "Benachrichtung zum Übermittlungsstatus (Fehlgeschlagen)",
        "the unicode-1-1-utf-7 encoded word decodes to 'Ü'; Zammad leaves "
        "'+ANw-' undecoded",
    ),
    ("zammad", "mail044.box", "from address"): Accepted(
        "claudia.shu@yahoo.com",
        "the trailing root dot of 'yahoo.com.' is dropped: it is the same "
        "domain, and contact lookups must find it",
    ),
    ("zammad", "mail046.box", "from name"): Accepted(
        "武兰成",
        "undeclared 8-bit GB2312 in the display name; Zammad reads it as a "
        "Windows code page and records mojibake",
    ),
    ("zammad", "mail087.box", "from address"): Accepted(
        "test@example.com",
        "'From: Test test@example.com' is a name and a bare address; Zammad "
        "takes the whole value as the address",
    ),
    ("zammad", "mail087.box", "from name"): Accepted(
        "Test",
        "same header: the name is the word before the address (Zammad's "
        "name repeats its whole address, so it counts as none)",
    ),
    ("mikel-mail", "multiple_references_with_one_invalid.eml", "references"): (
        Accepted(
            ["foo@bar.net", "baz@bar.net"],
            "the valid ids of both References headers are kept (a repeated "
            "header is tolerated); the mail gem reads only the first",
        )
    ),
}


@dataclass
class Stored:
    """What inbox-crm stored for one corpus file, read back from its database."""

    record: dict[str, Any]
    references: list[str]
    bounces: list[tuple[str, str, str]]
    attachments: list[tuple[str | None, str | None]]
    text: str
    has_html: bool
    message_key: int


@dataclass(frozen=True)
class Outcome:
    """One compared field of one file."""

    source: str
    file: str
    field: str
    expected: object
    got: object
    status: str
    reason: str = ""


@dataclass
class ThreadResult:
    """notmuch's threads against ours."""

    expected: list[frozenset[str]]
    got: list[frozenset[str]]
    upstream_sizes: list[int]
    got_sizes: list[int] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return set(self.expected) == set(self.got)


def compare(
    source: str, file: str, name: str, expected: object, got: object
) -> Outcome:
    """Agree, an accepted difference (with the value we accept), or disagree."""
    if expected == got:
        return Outcome(source, file, name, expected, got, AGREE)
    accepted = ACCEPTED_DIFFERENCES.get((source, file, name))
    if accepted is not None and accepted.ours == got:
        return Outcome(source, file, name, expected, got, ACCEPTED, accepted.reason)
    return Outcome(source, file, name, expected, got, DISAGREE)


# -- normalisation -------------------------------------------------------------


def text(value: str | None) -> str:
    """Whitespace runs as one space, none at the ends."""
    return " ".join((value or "").split())


def name(value: str | None, address: str) -> str:
    """A display name without wrapping quotes; one that repeats the address is ''."""
    result = text(value)
    while len(result) > 1 and result[0] == result[-1] and result[0] in "'\"":
        result = result[1:-1].strip()
    return "" if result.lower() == address.lower() else result


def address_list(header: str | None) -> list[tuple[str, str]]:
    """A decoded To/Cc string as sorted (address, name) pairs."""
    pairs = []
    for display, address in getaddresses([header or ""]):
        if "@" not in address and "@" in display:
            # getaddresses reads "Name (addr)" backwards.
            display, address = address, display
        if address:
            pairs.append((address.lower(), name(display, address)))
    return sorted(pairs)


def stored_list(entries: Iterable[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted(
        (entry["address"], name(entry["name"], entry["address"])) for entry in entries
    )


# -- Zammad --------------------------------------------------------------------


class _ZammadLoader(yaml.SafeLoader):
    """Reads Zammad's Ruby-tagged YAML: the hash tag is a plain mapping."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    return loader.construct_mapping(node, deep=True)


_ZammadLoader.add_constructor(
    "!ruby/hash:ActiveSupport::HashWithIndifferentAccess", _mapping
)
_ZammadLoader.add_constructor("!binary", yaml.SafeLoader.construct_yaml_binary)


def load_zammad(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.load(stream, Loader=_ZammadLoader)
    return document


def zammad_outcomes(file: str, expected: dict[str, Any], got: Stored) -> list[Outcome]:
    """The five Zammad fields of one message."""
    sender = got.record["from"] or {"address": "", "name": ""}
    from_email = str(expected.get("from_email") or "")
    pairs = {
        "from address": (from_email.lower(), sender["address"]),
        "from name": (
            name(expected.get("from_display_name"), from_email),
            name(sender["name"], sender["address"]),
        ),
        "subject": (text(expected.get("subject")), text(got.record["subject"])),
        "to": (address_list(expected.get("to")), stored_list(got.record["to"])),
        "cc": (address_list(expected.get("cc")), stored_list(got.record["cc"])),
    }
    return [
        compare("zammad", file, label, want, have)
        for label, (want, have) in pairs.items()
    ]


# -- notmuch -------------------------------------------------------------------

_SEARCH_COUNT = re.compile(r"\[(\d+)/(\d+)\]")


def notmuch_threads(
    expected_dir: Path, stored: dict[str, Stored | None]
) -> ThreadResult:
    """Group the notmuch files by our thread ids and hold them to notmuch's."""
    derived = json.loads((expected_dir / "threads-derived.json").read_text())
    expected = [
        frozenset(item["file"] for item in thread["items"])
        for thread in derived["threads"]
    ]
    search = (expected_dir / "notmuch-search-tag-inbox").read_text()
    upstream = [int(total) for _, total in _SEARCH_COUNT.findall(search)]

    by_thread: dict[object, set[str]] = {}
    for file, message in stored.items():
        key = None if message is None else message.record["thread_id"]
        by_thread.setdefault(key if key is not None else file, set()).add(file)
    got = [frozenset(files) for files in by_thread.values()]

    # A file stored twice (the same message) counts once, as notmuch counts it.
    sizes = sorted(
        len({m.message_key for f in group if (m := stored[f]) is not None})
        for group in got
    )
    result = ThreadResult(expected, got, sorted(upstream), sizes)
    for group in sorted(expected, key=lambda files: (-len(files), sorted(files))):
        found = group in set(got)
        result.outcomes.append(
            Outcome(
                "notmuch",
                min(group),
                "thread",
                f"these {len(group)} files alone in one thread",
                "so" if found else _how_grouped(group, got),
                AGREE if found else DISAGREE,
            )
        )
    return result


def _how_grouped(group: frozenset[str], got: list[frozenset[str]]) -> str:
    """Say how our threads hold an expected group that they do not match."""
    ours = [mine for mine in got if mine & group]
    if len(ours) > 1:
        return f"spread over {len(ours)} threads: " + "; ".join(
            ", ".join(sorted(mine & group)) for mine in ours
        )
    extra = sorted(ours[0] - group)
    return f"in one thread with {len(extra)} more: {', '.join(extra)}"


def notmuch_counts(result: ThreadResult, stored: dict[str, Stored | None]) -> list:
    """Upstream's own figures: 24 threads, 52 messages, 7 in one thread."""
    messages = {m.message_key for m in stored.values() if m is not None}
    by_id = {m.record["message_id"]: m for m in stored.values() if m is not None}
    root = by_id.get("20091117190054.GU3165@dottiness.seas.harvard.edu")
    root_size = 0
    if root is not None:
        root_size = len(
            {
                m.message_key
                for m in stored.values()
                if m is not None and m.record["thread_id"] == root.record["thread_id"]
            }
        )
    return [
        compare(
            "notmuch",
            "(all)",
            "thread count",
            len(result.upstream_sizes),
            len(result.got),
        ),
        compare(
            "notmuch", "(all)", "thread sizes", result.upstream_sizes, result.got_sizes
        ),
        compare("notmuch", "(all)", "messages stored", 52, len(messages)),
        compare(
            "notmuch", "20091117190054.GU3165@dottiness", "its thread", 7, root_size
        ),
    ]


# -- the other assertions ------------------------------------------------------


def assertion_outcomes(stored: dict[tuple[str, str], Stored | None]) -> list[Outcome]:
    """The paraphrased upstream assertions, plus the shared Message-ID pairs."""
    outcomes = []
    for (source, file), items in ASSERTIONS.items():
        message = stored.get((source, file))
        for label, expected, read in items:
            got = "(not stored)" if message is None else read(message)
            outcomes.append(compare(source, file, label, expected, got))
    for first, second in SHARED_MESSAGE_IDS:
        a, b = stored.get(("zammad", first)), stored.get(("zammad", second))
        both = a is not None and b is not None and a.message_key != b.message_key
        pair = f"{first}+{second}"
        outcomes.append(compare("zammad", pair, "both stored", True, both))
    return outcomes


def stored_outcomes(stored: dict[tuple[str, str], Stored | None]) -> list[Outcome]:
    """Every corpus file parsed and stored, none quarantined."""
    outcomes = []
    for (source, file), message in sorted(stored.items()):
        if message is None:
            got: object = "(not stored)"
        elif message.record["quarantined"]:
            got = f"quarantined: {message.record['quarantine_reason']}"
        else:
            got = "stored"
        outcomes.append(compare(source, file, "stored", "stored", got))
    return outcomes


def chain_notes(stored: dict[tuple[str, str], Stored | None]) -> list[str]:
    """One line per Zammad chain: joined in one of our threads or not."""
    notes = []
    for first, second, key in ZAMMAD_CHAINS:
        a, b = stored.get(("zammad", first)), stored.get(("zammad", second))
        joined = (
            a is not None
            and b is not None
            and a.record["thread_id"] == b.record["thread_id"]
        )
        state = "one thread" if joined else "separate threads"
        notes.append(f"{first} + {second} ({key}): {state}")
    return notes


def sizes_summary(sizes: Iterable[int]) -> str:
    """Thread sizes as "1x7, 2x3": how many threads of each size."""
    counts = Counter(sizes)
    return ", ".join(f"{n}x{size}" for size, n in sorted(counts.items(), reverse=True))
