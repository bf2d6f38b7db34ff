"""Linking stored participants to contacts and companies, in the caller's transaction.

The ingestion pipeline calls `Linker.link_messages` for each batch of new
messages; importing contacts and `inbox-crm contacts relink` call
`Linker.relink`. Manual links are never read for a change, nor replaced.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from inbox_crm.config import LinkingConfig
from inbox_crm.contacts.addresses import fold, split
from inbox_crm.contacts.creation import Created, create_wanted
from inbox_crm.contacts.directory import Directory
from inbox_crm.contacts.domains import registrable_domain
from inbox_crm.contacts.ladder import (
    Candidate,
    Decision,
    Ladder,
    LadderSettings,
    Match,
    Seen,
)
from inbox_crm.contacts.lookup import load_directory
from inbox_crm.contacts.models import (
    ParticipantLink,
    ReviewItem,
)
from inbox_crm.contacts.names import comparable, person_name, resembles
from inbox_crm.contacts.policy import CreatePolicy
from inbox_crm.storage.models import Message, Participant, utcnow

log = logging.getLogger(__name__)

RELINK_CHUNK = 2000
BULK = {"render_nulls": True}


@dataclass
class LinkResult:
    """What one linking pass did."""

    methods: Counter[str] = field(default_factory=Counter)
    contacts_created: int = 0
    companies_created: int = 0
    reviews_queued: int = 0

    def add(self, other: LinkResult) -> None:
        self.methods.update(other.methods)
        self.contacts_created += other.contacts_created
        self.companies_created += other.companies_created
        self.reviews_queued += other.reviews_queued

    @property
    def linked(self) -> int:
        return sum(self.methods.values())


def ladder_settings(config: LinkingConfig, own: Iterable[str]) -> LadderSettings:
    """The ladder's settings from the configuration and the user's own addresses."""
    own_addresses = frozenset(address.lower() for address in own)
    own_domains = {registrable_domain(split(a)[1]) for a in own_addresses}
    own_domains |= {registrable_domain(domain) for domain in config.own_domains}
    return LadderSettings(
        fold_plus_tags=config.fold_plus_tags,
        fuzzy_threshold=config.fuzzy_threshold / 100,
        review_threshold=config.review_threshold / 100,
        own_addresses=own_addresses,
        own_domains=frozenset(own_domains - {""}),
        free_mail_domains=frozenset(config.free_mail_domains),
    )


class Linker:
    """Links participants by the ladder and creates contacts by the policy."""

    def __init__(self, config: LinkingConfig, own_addresses: Iterable[str]) -> None:
        self.config = config
        self.ladder = Ladder(ladder_settings(config, own_addresses))
        self.policy = CreatePolicy(
            contacts=config.create_contacts,
            companies=config.create_companies,
            role_addresses=frozenset(config.role_addresses),
        )

    def link_messages(self, session: Session, message_ids: Sequence[int]) -> LinkResult:
        """Link every participant of these messages that has no link yet."""
        if not message_ids:
            return LinkResult()
        seen = _unlinked(session, Participant.message_id.in_(message_ids))
        return self._link(session, seen, create=True)

    def relink(
        self,
        session: Session,
        *,
        only_unlinked: bool = True,
        addresses: Collection[str] = (),
    ) -> LinkResult:
        """Link stored participants again (after an import or a settings change).

        Manual links stay. With `only_unlinked`, participants that already
        name a contact are left too, except those carrying one of
        `addresses` (just given to a contact); without it, every automatic
        link is decided afresh. Nothing new is created: back-filling only.
        """
        for start in range(0, len(values := sorted(addresses)), 500):
            carrying = select(Participant.id).where(
                Participant.address.in_(values[start : start + 500])
            )
            session.execute(
                delete(ParticipantLink).where(
                    ParticipantLink.participant_id.in_(carrying),
                    ParticipantLink.method != "manual",
                )
            )
        result = LinkResult()
        last = 0
        while True:
            ids = _participant_ids(session, last, only_unlinked)
            if not ids:
                return result
            last = ids[-1]
            session.execute(
                delete(ParticipantLink).where(
                    ParticipantLink.participant_id.in_(ids),
                    ParticipantLink.method != "manual",
                )
            )
            seen = _unlinked(session, Participant.id.in_(ids))
            result.add(self._link(session, seen, create=False))

    def _link(self, session: Session, seen: list[Seen], create: bool) -> LinkResult:
        result = LinkResult()
        if not seen:
            return result
        directory = load_directory(session, seen, self.config.fold_plus_tags)
        pending = _pending_reviews(session, {item.address for item in seen})
        if create:
            decided, made = self._decide_creating(session, seen, directory)
            result.contacts_created = made.contacts
            result.companies_created = made.companies
        else:
            decided = [(item, self.ladder.decide(item, directory)) for item in seen]
            made = Created()
        rows, reviews = _rows(decided, made, pending, result)
        # render_nulls keeps rows with and without a contact in one statement.
        if rows:
            session.execute(insert(ParticipantLink).execution_options(**BULK), rows)
        if reviews:
            session.execute(insert(ReviewItem).execution_options(**BULK), reviews)
            result.reviews_queued = len(reviews)
        log.info(
            "linked %d of %d participants (%s); %d contacts and %d companies "
            "created, %d queued for review",
            len(rows),
            len(seen),
            ", ".join(f"{m} {n}" for m, n in sorted(result.methods.items())) or "-",
            result.contacts_created,
            result.companies_created,
            result.reviews_queued,
        )
        return result

    def _decide_creating(
        self, session: Session, seen: list[Seen], directory: Directory
    ) -> tuple[list[tuple[Seen, Decision]], Created]:
        """Decide the batch and create contacts as if its mail came one by one.

        A contact made for one participant must be seen by the later ones
        that may be the same person: another address of theirs is linked to
        it or reviewed against it, not made a second contact. So contacts
        are created in rounds; a participant that may be the same person as
        an earlier one wanting a contact waits, and is decided again once
        that one's contact exists.
        """
        decisions = [self.ladder.decide(item, directory) for item in seen]
        made = Created()
        while True:
            taken = self._creatable(seen, decisions, made)
            if not taken:
                return list(zip(seen, decisions, strict=True)), made
            created = create_wanted(session, taken, self.policy, directory)
            made.matches.update(created.matches)
            made.contacts += created.contacts
            made.companies += created.companies

            for index, item in enumerate(seen):
                if _unsettled(item, decisions[index], made):
                    decisions[index] = self.ladder.decide(item, directory)

    def _creatable(
        self, seen: list[Seen], decisions: list[Decision], made: Created
    ) -> list[tuple[Seen, Decision]]:
        """The participants that may get a contact now, none the same as another.

        One that may be the same person as an earlier one wanting a contact
        (a folded address or a name alike) waits for the next round.
        """
        fold_plus = self.config.fold_plus_tags
        floor = self.ladder.settings.review_threshold
        taken: list[tuple[Seen, Decision]] = []
        addresses: set[str] = set()
        folded: set[str] = set()
        names: list[str] = []
        for item, decision in zip(seen, decisions, strict=True):
            address = item.address.lower()
            if address in made.matches or not self.policy.contact(item, decision):
                continue
            if address in addresses:
                continue  # one contact for one address, made once
            words = comparable(item.name)
            waits = fold(address, fold_plus) in folded or resembles(words, names, floor)
            folded.add(fold(address, fold_plus))
            names.append(words)
            if not waits:
                addresses.add(address)
                taken.append((item, decision))
        return taken


def _unsettled(item: Seen, decision: Decision, made: Created) -> bool:
    """Tell whether a contact made this round may change the participant's link."""
    if decision.skip or item.address.lower() in made.matches:
        return False
    return decision.match is None or decision.match.contact_id is None


Row = dict[str, object]


def _rows(
    decided: list[tuple[Seen, Decision]],
    made: Created,
    pending: set[tuple[str, int]],
    result: LinkResult,
) -> tuple[list[Row], list[Row]]:
    """The link rows and the new review rows of a batch's decisions."""
    rows: list[Row] = []
    reviews: list[Row] = []
    now = utcnow()
    for item, decision in decided:
        match = decision.match
        if not decision.skip and (match is None or match.contact_id is None):
            match = made.matches.get(item.address.lower(), match)
        for candidate in decision.review:
            key = (item.address, candidate.contact_id)
            if key not in pending:
                pending.add(key)
                reviews.append(_review(item, candidate, now))
        if match is not None:
            rows.append(_link_row(item.participant_id, match, now))
            result.methods[match.method] += 1
    return rows, reviews


def _unlinked(session: Session, condition: object) -> list[Seen]:
    """Participants meeting `condition` without a link, with their message's traits."""
    query = (
        select(
            Participant.id,
            Participant.address,
            Participant.name,
            Participant.role,
            Message.direction,
            Message.kind,
            Message.bulk,
            Message.list_id,
        )
        .join(Message, Message.id == Participant.message_id)
        .outerjoin(ParticipantLink, ParticipantLink.participant_id == Participant.id)
        .where(
            condition,  # type: ignore[arg-type]
            ParticipantLink.participant_id.is_(None),
            Message.quarantined.is_(False),
        )
        .order_by(Message.date, Participant.id)
    )
    return [Seen(*row) for row in session.execute(query)]


def _participant_ids(session: Session, after: int, only_unlinked: bool) -> list[int]:
    query = (
        select(Participant.id)
        .outerjoin(ParticipantLink, ParticipantLink.participant_id == Participant.id)
        .where(Participant.id > after)
        .where(
            (ParticipantLink.method.is_(None)) | (ParticipantLink.method != "manual")
        )
    )
    if only_unlinked:
        query = query.where(ParticipantLink.contact_id.is_(None))
    return list(session.scalars(query.order_by(Participant.id).limit(RELINK_CHUNK)))


def _pending_reviews(session: Session, addresses: set[str]) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    values = sorted(addresses)
    for start in range(0, len(values), 500):
        query = select(ReviewItem.address, ReviewItem.contact_id).where(
            ReviewItem.address.in_(values[start : start + 500])
        )
        found.update((address, contact) for address, contact in session.execute(query))
    return found


def _review(seen: Seen, candidate: Candidate, now: datetime) -> dict[str, object]:
    log.info(
        "review queued: %s may be contact %s (score %.2f)",
        seen.address,
        candidate.contact_id,
        candidate.score,
    )
    return {
        "address": seen.address.lower(),
        "name": person_name(seen.name),
        "contact_id": candidate.contact_id,
        "score": round(candidate.score, 4),
        "status": "pending",
        "created_at": now,
    }


def _link_row(participant_id: int, match: Match, now: datetime) -> dict[str, object]:
    return {
        "created_at": now,
        "participant_id": participant_id,
        "contact_id": match.contact_id,
        "company_id": match.company_id,
        "method": match.method,
        "score": round(match.score, 4),
    }
