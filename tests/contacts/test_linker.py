"""Linking a batch of messages: the same outcome as one message at a time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inbox_crm.contacts.models import Contact, ParticipantLink, ReviewItem
from inbox_crm.storage.models import Participant
from tests.contacts.conftest import Mail

# Two messages from one person, under two addresses.
PAIRS = {
    "a work and a free-mail address": (
        "Ada Byron <ada@work.example>",
        "Ada Byron <ada.byron.home@gmail.com>",
    ),
    "a plus-tagged address": (
        "Ada Byron <ada@work.example>",
        "Ada Byron <ada+crm@work.example>",
    ),
    "a near-identical name at the same company": (
        "Ada Byron <ada@work.example>",
        "Ada Byrom <abyrom@work.example>",
    ),
}


def address(sender: str) -> str:
    return sender.partition("<")[2].rstrip(">")


def outcome(mail: Mail) -> dict[str, object]:
    """Contacts by primary address, reviews and links, named by addresses."""
    with mail.database.session() as session:
        contacts = list(session.scalars(select(Contact).order_by(Contact.id)))
        primary = {
            c.id: next(a.address for a in c.addresses if a.primary) for c in contacts
        }
        links = {
            participant.address: (link.method, primary.get(link.contact_id or 0))
            for link, participant in session.execute(
                select(ParticipantLink, Participant)
                .join(Participant, Participant.id == ParticipantLink.participant_id)
                .where(Participant.role == "from")
            )
        }
        reviews = [
            (item.address, primary[item.contact_id])
            for item in session.scalars(select(ReviewItem).order_by(ReviewItem.id))
        ]
        return {
            "contacts": sorted(primary.values()),
            "reviews": reviews,
            "links": links,
        }


def expected(case: str, first: str, second: str) -> dict[str, object]:
    """The first address makes the contact; the second is linked or reviewed."""
    links: dict[str, tuple[str, str | None]] = {first: ("exact", first)}
    reviews = [(second, first)]
    if case == "a plus-tagged address":
        links[second] = ("secondary", first)
        reviews = []
    elif case == "a near-identical name at the same company":
        links[second] = ("domain", None)
    return {"contacts": [first], "reviews": reviews, "links": links}


@pytest.mark.parametrize("together", [True, False], ids=["one sync", "two syncs"])
@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
@pytest.mark.parametrize("case", list(PAIRS))
def test_one_person_in_a_batch_is_one_contact_as_in_two_syncs(
    mail: Mail, case: str, reverse: bool, together: bool
) -> None:
    first, second = PAIRS[case][::-1] if reverse else PAIRS[case]

    if together:
        mail.receive_together(first, second)
    else:
        mail.receive_together(first)
        mail.receive_together(second)

    assert outcome(mail) == expected(case, address(first), address(second))
