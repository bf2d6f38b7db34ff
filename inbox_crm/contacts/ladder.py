"""The linking ladder: which contact and company one participant belongs to.

Pure decision over a Directory, rung by rung: the exact address, a contact's
other addresses and folded variants, the registrable domain to a company,
then fuzzy display-name matching among a short candidate list (the domain's
company's contacts, or the contacts that share the name's key). A fuzzy
score below the threshold but above the review floor becomes a candidate
for the review queue instead of a link.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inbox_crm.contacts.addresses import fold, split
from inbox_crm.contacts.directory import ContactEntry, Directory
from inbox_crm.contacts.domains import is_free_mail, registrable_domain
from inbox_crm.contacts.names import name_key, person_name, similarity

# A fuzzy winner must lead the runner-up by this much, or both are reviewed.
MARGIN = 0.03
FOLDED_SCORE = 0.98


@dataclass(frozen=True, slots=True)
class Seen:
    """One participant as the ladder sees it, with its message's traits."""

    participant_id: int
    address: str
    name: str = ""
    role: str = "from"
    direction: str = "inbound"
    kind: str = "normal"
    bulk: bool = False
    list_id: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """A link found by automation: the method, its score, whom it names."""

    method: str
    score: float
    contact_id: int | None
    company_id: int | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A contact the participant may be, too uncertain to link."""

    contact_id: int
    score: float


@dataclass(frozen=True, slots=True)
class Decision:
    """What the ladder concluded for one participant.

    `skip` says why nothing may be linked or created (own, ignored, invalid).
    `company_domain` is the registrable domain when it may make a company.
    `list_rewritten` marks a From that a mailing list replaced with its own.
    """

    match: Match | None = None
    review: tuple[Candidate, ...] = ()
    company_domain: str | None = None
    skip: str | None = None
    list_rewritten: bool = False


@dataclass(frozen=True)
class LadderSettings:
    """The ladder's knobs, from the [linking] configuration."""

    fold_plus_tags: bool = True
    fuzzy_threshold: float = 0.95
    review_threshold: float = 0.80
    own_addresses: frozenset[str] = frozenset()
    own_domains: frozenset[str] = frozenset()
    free_mail_domains: frozenset[str] = frozenset()


class Ladder:
    """Decides links for participants against a Directory."""

    def __init__(self, settings: LadderSettings) -> None:
        self.settings = settings
        self.own = frozenset(fold(a, True) for a in settings.own_addresses)

    def decide(self, seen: Seen, directory: Directory) -> Decision:
        local, domain = split(seen.address)
        if not local or not domain:
            return Decision(skip="invalid")
        folded = fold(seen.address, self.settings.fold_plus_tags)
        if fold(seen.address, True) in self.own:
            return Decision(skip="own")
        registrable = registrable_domain(domain)
        if _ignored(seen.address, domain, registrable, directory):
            return Decision(skip="ignored")

        if seen.list_id and _is_list_address(seen.address, seen.list_id):
            return self._list_rewritten(seen, directory)

        company_id = None
        if registrable not in self.settings.own_domains and not self._free(domain):
            company_id = directory.domains.get(registrable)
        found = self._by_address(seen.address, folded, directory)
        if found is not None:
            return Decision(match=_with_company(found, company_id, directory))
        if registrable in self.settings.own_domains:
            return Decision()

        creatable = None if self._free(domain) else registrable
        candidates = self._candidates(seen, company_id, directory)
        decision = self._fuzzy(seen, candidates, company_id, directory)
        return Decision(
            match=decision.match, review=decision.review, company_domain=creatable
        )

    def _free(self, domain: str) -> bool:
        return is_free_mail(domain) or domain in self.settings.free_mail_domains

    def _by_address(
        self, address: str, folded: str, directory: Directory
    ) -> Match | None:
        """The exact and secondary rungs."""
        entry = directory.addresses.get(address.lower())
        if entry is not None:
            contact_id, primary = entry
            method = "exact" if primary else "secondary"
            return Match(method, 1.0, contact_id, None)
        owners = directory.folded.get(folded)
        if owners and len(owners) == 1:
            return Match("secondary", FOLDED_SCORE, next(iter(owners)), None)
        return None

    def _candidates(
        self, seen: Seen, company_id: int | None, directory: Directory
    ) -> list[ContactEntry]:
        """The short list fuzzy matching may choose from."""
        if company_id is not None:
            return directory.company_contacts(company_id)
        key = name_key(seen.name)
        return directory.named(key) if key else []

    def _fuzzy(
        self,
        seen: Seen,
        candidates: Iterable[ContactEntry],
        company_id: int | None,
        directory: Directory,
    ) -> Decision:
        """The fuzzy rung, with the domain link as what remains."""
        domain_match = (
            Match("domain", 1.0, None, company_id) if company_id is not None else None
        )
        name = person_name(seen.name)
        address = seen.address.lower()
        scored = sorted(
            (
                Candidate(entry.id, similarity(name, entry.name))
                for entry in candidates
                if (address, entry.id) not in directory.rejected
            ),
            key=lambda candidate: -candidate.score,
        )
        floor = self.settings.review_threshold
        scored = [candidate for candidate in scored if candidate.score >= floor]
        if not scored:
            return Decision(match=domain_match)

        best = scored[0]
        clear = len(scored) == 1 or scored[1].score < best.score - MARGIN
        if best.score >= self.settings.fuzzy_threshold and clear:
            contact = directory.contacts[best.contact_id]
            company = contact.company_id if contact.company_id else company_id
            return Decision(match=Match("fuzzy", best.score, best.contact_id, company))
        return Decision(match=domain_match, review=tuple(scored[:3]))

    def _list_rewritten(self, seen: Seen, directory: Directory) -> Decision:
        """A From replaced by the list: only the name can say who wrote."""
        key = name_key(seen.name)
        candidates = directory.named(key) if key else []
        decision = self._fuzzy(seen, candidates, None, directory)
        return Decision(
            match=decision.match, review=decision.review, list_rewritten=True
        )


def _with_company(match: Match, company_id: int | None, directory: Directory) -> Match:
    contact = directory.contacts.get(match.contact_id or 0)
    if contact is not None and contact.company_id is not None:
        company_id = contact.company_id
    return Match(match.method, match.score, match.contact_id, company_id)


def _ignored(address: str, domain: str, registrable: str, directory: Directory) -> bool:
    if not (directory.ignored_addresses or directory.ignored_domains):
        return False
    return (
        address.lower() in directory.ignored_addresses
        or domain in directory.ignored_domains
        or registrable in directory.ignored_domains
    )


def _is_list_address(address: str, list_id: str) -> bool:
    """Tell whether `address` is the list's own: its posting or bounce address.

    A List-Id is the posting address with "@" written as "." (dev@lists.org
    has the id dev.lists.org); dev-bounces@lists.org belongs to it too.
    """
    local, domain = split(address.lower())
    list_id = list_id.lower()
    base = local.split("-")[0].split("+")[0]
    return list_id in (f"{local}.{domain}", f"{base}.{domain}")
