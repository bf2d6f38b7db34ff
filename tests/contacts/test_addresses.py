"""Address folding and role addresses, and name comparison (pure logic)."""

from __future__ import annotations

import pytest

from inbox_crm.contacts.addresses import fold, is_role_address
from inbox_crm.contacts.names import name_key, person_name, similarity


@pytest.mark.parametrize(
    ("address", "folded"),
    [
        ("Ada+News@Acme.co.uk", "ada@acme.co.uk"),
        ("ada.byron@googlemail.com", "adabyron@gmail.com"),
        ("A.D.A+x@gmail.com", "ada@gmail.com"),
        ("first.last@acme.co.uk", "first.last@acme.co.uk"),
        ("+weird@acme.co.uk", "+weird@acme.co.uk"),
    ],
)
def test_fold_makes_variants_of_one_mailbox_equal(address: str, folded: str) -> None:
    assert fold(address) == folded


def test_plus_tags_are_kept_when_folding_them_is_off() -> None:
    assert fold("ada+news@acme.co.uk", plus_tags=False) == "ada+news@acme.co.uk"


@pytest.mark.parametrize(
    ("address", "role"),
    [
        ("noreply@mail.shop.example", True),
        ("no-reply@shop.example", True),
        ("Do_Not_Reply@bank.example", True),
        ("MAILER-DAEMON@mx.example", True),
        ("notifications@tracker.example", True),
        ("info+eu@acme.example", True),
        ("bounces+123@em.example", True),
        ("shop-bounces@lists.example", True),
        ("ada@acme.example", False),
        ("noah@acme.example", False),
        ("nora.reply@acme.example", False),
    ],
)
def test_role_and_machine_addresses_are_recognised(address: str, role: bool) -> None:
    assert is_role_address(address) is role


def test_extra_role_local_parts_from_the_configuration() -> None:
    assert is_role_address("accounts-payable@acme.example") is False
    assert is_role_address(
        "accounts-payable@acme.example", frozenset({"accounts-payable"})
    )


@pytest.mark.parametrize(
    ("display", "person"),
    [
        ('"Byron, Ada"', "Ada Byron"),
        ("'Ada Byron' via Dev", "Ada Byron"),
        ("Ada Byron on behalf of Acme", "Ada Byron"),
        ("ada@acme.example", ""),
        ("Acme, Inc. Sales, EU", "Acme, Inc. Sales, EU"),
    ],
)
def test_person_name_undoes_what_mail_programs_do_to_names(
    display: str, person: str
) -> None:
    assert person_name(display) == person


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("Ada Byron", "ADA BYRON", True),
        ("Byron, Ada", "ada byron", True),
        ("Jürgen Weiß", "Jurgen Weiss", True),
        ("Ada K. Byron", "Ada Byron", True),
        ("Ada", "Ada Byron", False),
        ("Anna Meyer", "Hanna Meyer", False),
        ("Dan Cho", "Daniel Cho", False),
    ],
)
def test_names_compare_without_case_accents_order_or_initials(
    left: str, right: str, same: bool
) -> None:
    assert (similarity(left, right) >= 0.97) is same
    if name_key(left):
        assert (name_key(left) == name_key(right)) is same
