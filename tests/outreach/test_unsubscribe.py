"""Recognising a reply that asks to be left alone, in the words people use."""

from __future__ import annotations

import pytest

from inbox_crm.outreach.unsubscribe import is_unsubscribe_request


@pytest.mark.parametrize(
    "first_line",
    [
        "Unsubscribe!",
        "unsubscribe me please",
        "Stop",
        "Stop sending me these please.",
        "Please stop emailing me.",
        "Please remove me from this list",
        "Don't email me again.",
        "Do not contact me",
        "Bitte austragen.",
        "Keine weiteren Mails bitte",
        "Se désabonner",
    ],
)
def test_requests_to_be_left_alone_are_recognised(first_line: str) -> None:
    assert is_unsubscribe_request("Re: Hello", f"{first_line}\n\n> Dear Ann,\n")


@pytest.mark.parametrize(
    "first_line",
    [
        "Stop by our office next week, we'd love to talk.",
        "Thanks, please send me the proposal.",
        "Can you remove the second paragraph?",
        "We stopped the old project; let's talk about the new one.",
        "",
    ],
)
def test_ordinary_replies_are_not_requests(first_line: str) -> None:
    assert not is_unsubscribe_request("Re: Hello", f"{first_line}\n\n> unsubscribe\n")


def test_the_subject_alone_can_ask() -> None:
    assert is_unsubscribe_request("Re: STOP sending these", "Thanks.")
