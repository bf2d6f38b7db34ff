"""The linking ladder: which contact and company one participant belongs to.

Pure decision over a Directory, rung by rung: the exact address, a contact's
other addresses and folded variants, the registrable domain to a company,
then fuzzy display-name matching among a short candidate list: the domain's
company's contacts, or the contacts that share the name's key when the
sender's domain is related to their company's (a subsidiary). A fuzzy
score below the threshold, or a name with nothing else to back it (a
free-mail sender), becomes a candidate for the review queue instead of a
link. A From that a mailing list rewrote to its own address is linked to
no one: the author's address, in Reply-To, is linked on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from inbox_crm.contacts.addresses import fold, split
from inbox_crm.contacts.directory import ContactEntry, Directory, hyphen_prefixes
from inbox_crm.contacts.domains import DISPOSABLE, FREE_MAIL, registrable_domain
from inbox_crm.contacts.names import best_names, comparable, name_key

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


class Match(NamedTuple):
    """A link found by automation: the method, its score, whom it names."""

    method: str
    score: float
    contact_id: int | None
    company_id: int | None


class Candidate(NamedTuple):
    """A contact the participant may be, too uncertain to link."""

    contact_id: int
    score: float


class Decision(NamedTuple):
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
    fuzzy_threshold: float = 0.97
    review_threshold: float = 0.80
    own_addresses: frozenset[str] = frozenset()
    own_domains: frozenset[str] = frozenset()
    free_mail_domains: frozenset[str] = frozenset()


class Ladder:
    """Decides links for participants against a Directory."""

    def __init__(self, settings: LadderSettings) -> None:
        self.settings = settings
        self.own = frozenset(fold(a, True) for a in settings.own_addresses)
        self.own_hosts = frozenset(split(a)[1] for a in settings.own_addresses)
        if "gmail.com" in self.own_hosts:
            self.own_hosts |= {"googlemail.com"}
        self.free = FREE_MAIL | DISPOSABLE | settings.free_mail_domains

    def decide(self, seen: Seen, directory: Directory) -> Decision:
        address = seen.address.lower()
        local, _, domain = address.rpartition("@")
        if not local or not domain:
            return Decision(skip="invalid")
        if domain in self.own_hosts and fold(address, True) in self.own:
            return Decision(skip="own")
        ignoring = directory.ignored_addresses or directory.ignored_domains
        if ignoring and _ignored(address, domain, directory):
            return Decision(skip="ignored")
        if seen.list_id and _is_list_address(address, seen.list_id):
            # The list's address is no one's: accepting a review would give
            # every later post to one author. The author's own address, in
            # Reply-To, is linked as a participant of its own.
            return Decision(skip="list address", list_rewritten=True)

        found = self._by_address(address, directory)
        if found is not None and found.company_id is not None:
            return Decision(match=found)
        registrable = registrable_domain(domain)
        own_domain = registrable in self.settings.own_domains
        free = domain in self.free or registrable in self.free
        company_id = None if free or own_domain else directory.domains.get(registrable)
        if found is not None:
            return Decision(match=found._replace(company_id=company_id))
        if own_domain:
            return Decision(skip="own domain")

        if company_id is not None:
            candidates = directory.company_contacts(company_id)
            decision = self._fuzzy(seen, candidates, company_id, directory)
        else:
            decision = self._related_domain(seen, registrable, free, directory)
        creatable = None if free else registrable
        return decision._replace(company_domain=creatable)

    def _by_address(self, address: str, directory: Directory) -> Match | None:
        """The exact and secondary rungs, with the contact's company."""
        entry = directory.addresses.get(address)
        if entry is not None:
            contact_id, primary = entry
            method = "exact" if primary else "secondary"
            company_id = directory.contacts[contact_id].company_id
            return Match(method, 1.0, contact_id, company_id)
        owners = directory.folded.get(fold(address, self.settings.fold_plus_tags))
        if owners and len(owners) == 1:
            contact_id = next(iter(owners))
            company_id = directory.contacts[contact_id].company_id
            return Match("secondary", FOLDED_SCORE, contact_id, company_id)
        return None

    def _related_domain(
        self, seen: Seen, registrable: str, free: bool, directory: Directory
    ) -> Decision:
        """Name matches from a domain no company owns.

        Only a contact whose company has a related domain (acme-labs.com for
        acme.com, acme.de for acme.com) may be linked; a name alone proves
        nothing, since strangers share names, so it is only reviewed.
        """
        key = name_key(seen.name)
        named = directory.named(key) if key else []
        if not named:
            return Decision()
        if not free:
            label = registrable.partition(".")[0]
            mine = set(hyphen_prefixes(label))
            related = [
                entry
                for entry in named
                if entry.company_id is not None
                and directory.related(entry.company_id, label, mine)
            ]
            if related:
                decision = self._fuzzy(seen, related, None, directory)
                if decision.match is not None:
                    return decision
        return Decision(review=tuple(self._scored(seen, named, directory)[:3]))

    def _scored(
        self, seen: Seen, candidates: list[ContactEntry], directory: Directory
    ) -> list[Candidate]:
        """Candidates at or above the review floor, best first."""
        if not candidates:
            return []
        found = best_names(
            comparable(seen.name),
            [entry.words for entry in candidates],
            self.settings.review_threshold,
        )
        scored = [Candidate(candidates[index].id, score) for score, index in found]
        if directory.rejected:
            address = seen.address.lower()
            scored = [
                c for c in scored if (address, c.contact_id) not in directory.rejected
            ]
        return scored

    def _fuzzy(
        self,
        seen: Seen,
        candidates: list[ContactEntry],
        company_id: int | None,
        directory: Directory,
    ) -> Decision:
        """The fuzzy rung, with the domain link as what remains."""
        domain_match = (
            Match("domain", 1.0, None, company_id) if company_id is not None else None
        )
        scored = self._scored(seen, candidates, directory)
        if not scored:
            return Decision(match=domain_match)

        best = scored[0]
        clear = len(scored) == 1 or scored[1].score < best.score - MARGIN
        if best.score >= self.settings.fuzzy_threshold and clear:
            contact = directory.contacts[best.contact_id]
            company = contact.company_id if contact.company_id else company_id
            return Decision(match=Match("fuzzy", best.score, best.contact_id, company))
        return Decision(match=domain_match, review=tuple(scored[:3]))


def _ignored(address: str, domain: str, directory: Directory) -> bool:
    return (
        address in directory.ignored_addresses
        or domain in directory.ignored_domains
        or registrable_domain(domain) in directory.ignored_domains
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
