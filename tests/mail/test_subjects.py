"""Tests of subject keys and message-id parsing."""

from __future__ import annotations

import pytest

from inbox_crm.mail.subjects import (
    has_reply_prefix,
    normalize_subject,
    parse_message_ids,
)

PREFIX_FAMILIES = [
    # English and Outlook forms, with counters
    ("Re: Quarterly review", "quarterly review"),
    ("RE: Quarterly review", "quarterly review"),
    ("re:Quarterly review", "quarterly review"),
    ("RE[2]: Quarterly review", "quarterly review"),
    ("Re(3): Quarterly review", "quarterly review"),
    ("Re^2: Quarterly review", "quarterly review"),
    ("Re*4: Quarterly review", "quarterly review"),
    ("Re [2] : Quarterly review", "quarterly review"),
    ("Fwd: Quarterly review", "quarterly review"),
    ("Fw: Quarterly review", "quarterly review"),
    ("FW: Quarterly review", "quarterly review"),
    ("FWD[2]: Quarterly review", "quarterly review"),
    # German
    ("AW: Angebot", "angebot"),
    ("Aw: Angebot", "angebot"),
    ("WG: Angebot", "angebot"),
    ("Antwort: Angebot", "angebot"),
    # Dutch
    ("Antw: Offerte", "offerte"),
    ("Doorst: Offerte", "offerte"),
    # Nordic and Finnish
    ("SV: Tilbud", "tilbud"),
    ("VS: Tilbud", "tilbud"),
    ("VB: Offert", "offert"),
    ("VL: Tarjous", "tarjous"),
    # Polish and Czech
    ("Odp: Oferta", "oferta"),
    ("PD: Oferta", "oferta"),
    # French, Spanish
    ("TR: Devis", "devis"),
    ("TR : Devis", "devis"),
    ("RE : Devis", "devis"),
    ("RV: Presupuesto", "presupuesto"),
    # Italian
    ("RIF: Preventivo", "preventivo"),
    ("R: Preventivo", "preventivo"),
    ("I: Preventivo", "preventivo"),
    # Portuguese
    ("RES: Orçamento", "orçamento"),
    ("ENC: Orçamento", "orçamento"),
    # Turkish
    ("Ynt: Teklif", "teklif"),
    ("İlt: Teklif", "teklif"),
    ("ILT: Teklif", "teklif"),
    # Hungarian, including a decomposed accent
    ("Vá: Ajánlat", "ajánlat"),
    ("VÁ: Ajánlat", "ajánlat"),
    ("Va\u0301: Ajánlat", "ajánlat"),
    ("Válasz: Ajánlat", "ajánlat"),
    ("Továbbítás: Ajánlat", "ajánlat"),
    ("Tov: Ajánlat", "ajánlat"),
    # Indonesian
    ("BLS: Penawaran", "penawaran"),
    ("TRS: Penawaran", "penawaran"),
    # Russian and Ukrainian
    ("Отв: Предложение", "предложение"),
    ("Ответ: Предложение", "предложение"),
    ("Пересл: Предложение", "предложение"),
    ("Відп: Пропозиція", "пропозиція"),
    # Greek, upper and lower case
    ("ΑΠ: Προσφορά", "προσφορά"),
    ("απ: Προσφορά", "προσφορά"),
    ("ΣΧΕΤ: Προσφορά", "προσφορά"),
    ("ΠΡΘ: Προσφορά", "προσφορά"),
    # Arabic, Hebrew
    ("رد: عرض", "عرض"),
    ("إعادة توجيه: عرض", "عرض"),
    ("השב: הצעה", "הצעה"),
    ("הועבר: הצעה", "הצעה"),
    # Chinese, with ASCII and full-width colons
    ("回复: 报价", "报价"),
    ("回复：报价", "报价"),
    ("回覆：報價", "報價"),
    ("答复：报价", "报价"),
    ("转发：报价", "报价"),
    ("轉寄：報價", "報價"),
    ("Re：报价", "报价"),
    # Japanese, Korean
    ("返信: 見積もり", "見積もり"),
    ("転送：見積もり", "見積もり"),
    ("회신: 견적", "견적"),
    ("전달: 견적", "견적"),
]


@pytest.mark.parametrize(("subject", "key"), PREFIX_FAMILIES)
def test_each_prefix_family_is_stripped(subject: str, key: str) -> None:
    assert normalize_subject(subject) == key
    assert has_reply_prefix(subject) is True


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("Re: AW: Re: WG: Fwd: Angebot", "angebot"),
        ("RE: RE: RE: Angebot", "angebot"),
        ("Re:Re:Angebot", "angebot"),
        ("AW: SV: Odp: 回复：Angebot", "angebot"),
        ("Fwd: Re[2]: Re(3): Angebot", "angebot"),
    ],
)
def test_mixed_prefixes_are_stripped_repeatedly(subject: str, key: str) -> None:
    assert normalize_subject(subject) == key


@pytest.mark.parametrize(
    "subject",
    [
        "Reading list",
        "AWS outage",
        "Fwd",
        "Re",
        "Response times",
        "Sverige office",
        "Resume attached",
        "Trade fair",
        "Encore",
        "Pdf export",
        "Ref: Invoice 42",
        "FS: Bicycle",
        "r: lowercase letter",
        "I:O errors",
        "R:no space",
        "Topic: summary",
    ],
)
def test_words_without_a_marker_are_kept(subject: str) -> None:
    assert normalize_subject(subject) == subject.casefold()
    assert has_reply_prefix(subject) is False


def test_marker_inside_the_subject_is_kept() -> None:
    assert normalize_subject("Re: Topic: Re: Angebot") == "topic: re: angebot"


def test_whitespace_is_collapsed_and_case_folded() -> None:
    subject = "  Re:\t Quarterly\u00a0\u00a0REVIEW \r\n of  Straße  "

    assert normalize_subject(subject) == "quarterly review of strasse"


def test_list_tag_is_kept_while_markers_around_it_go() -> None:
    assert normalize_subject("[dev-list] Launch plan") == "[dev-list] launch plan"
    assert normalize_subject("Re: [dev-list] Launch plan") == "[dev-list] launch plan"
    assert normalize_subject("[dev-list] Re: Launch plan") == "[dev-list] launch plan"
    assert (
        normalize_subject("Re: [dev-list] AW: [Dev-List] Launch plan")
        == "[dev-list] launch plan"
    )


def test_ticket_tag_is_never_stripped() -> None:
    assert normalize_subject("[Ticket#11168] Printer") == "[ticket#11168] printer"
    assert normalize_subject("Re: [Ticket#11168] Printer") == "[ticket#11168] printer"
    assert normalize_subject("[Ticket#11168] AW: Printer") == "[ticket#11168] printer"


def test_bracketed_forward_and_fwd_suffix_are_unwrapped() -> None:
    assert normalize_subject("[Fwd: Launch plan]") == "launch plan"
    assert normalize_subject("Re: [Fwd: Launch plan]") == "launch plan"
    assert normalize_subject("Launch plan (fwd)") == "launch plan"
    assert normalize_subject("Launch plan (FWD) (fwd)") == "launch plan"
    assert normalize_subject("[Fwd: Launch plan] more") == "[fwd: launch plan] more"


def test_subject_made_only_of_markers_has_an_empty_key() -> None:
    assert normalize_subject("Re: Fwd:") == ""
    assert normalize_subject("") == ""
    assert has_reply_prefix("") is False


def test_reply_prefix_is_seen_past_a_leading_tag() -> None:
    assert has_reply_prefix("[dev-list] Re: Launch plan") is True
    assert has_reply_prefix("[Fwd: Launch plan]") is True
    assert has_reply_prefix("[dev-list] Launch plan") is False
    assert has_reply_prefix("Launch plan (fwd)") is False


@pytest.mark.parametrize(
    ("header", "ids"),
    [
        (None, []),
        ("", []),
        ("   ", []),
        ("<a1@example.com>", ["a1@example.com"]),
        (
            "<a1@example.com> <b2@example.com>",
            ["a1@example.com", "b2@example.com"],
        ),
        (
            "<a1@example.com>\r\n <b2@example.com>\r\n\t<c3@example.com>",
            ["a1@example.com", "b2@example.com", "c3@example.com"],
        ),
        (
            "<a1@example.com> <b2@example.com> <a1@example.com> <b2@example.com>",
            ["a1@example.com", "b2@example.com"],
        ),
        (
            "<b2@example.com><a1@example.com>,<b2@example.com>",
            ["b2@example.com", "a1@example.com"],
        ),
    ],
)
def test_message_ids_in_order_without_duplicates(
    header: str | None, ids: list[str]
) -> None:
    assert parse_message_ids(header) == ids


@pytest.mark.parametrize(
    ("header", "ids"),
    [
        (
            "<a1@example.com> (sent by a (nested) gateway <x9@example.com>) "
            "<b2@example.com>",
            ["a1@example.com", "b2@example.com"],
        ),
        (
            'Your message of "Mon, 1 Jan 2024 10:00:00 +0000" <a1@example.com>',
            ["a1@example.com"],
        ),
        (
            "<a1@example.com> junk ;; <b2@example.com>",
            ["a1@example.com", "b2@example.com"],
        ),
        ("<a1@example.com> <b2@exa", ["a1@example.com"]),
        ("ple.com> <b2@example.com>", ["b2@example.com"]),
        ("<a1@exa <b2@example.com>", ["b2@example.com"]),
        ("<a1 @ example.com>", ["a1@example.com"]),
        ("<a1@exam\r\n ple.com>", ["a1@example.com"]),
        ("<> <  > <a1@example.com>", ["a1@example.com"]),
        ("<<a1@example.com>>", ["a1@example.com"]),
        ("<1234.5678>", ["1234.5678"]),
    ],
)
def test_message_ids_among_junk_and_damage(header: str, ids: list[str]) -> None:
    assert parse_message_ids(header) == ids


@pytest.mark.parametrize(
    ("header", "ids"),
    [
        ("a1@example.com", ["a1@example.com"]),
        ("  a1@example.com\r\n", ["a1@example.com"]),
        ("<a1@example.com", ["a1@example.com"]),
        ("a1@example.com>", ["a1@example.com"]),
        ("a1@example.com b2@example.com", []),
        ("no-at-sign-here", []),
        ("ann@example.com's message of Monday", []),
    ],
)
def test_bare_message_id_only_when_alone(header: str, ids: list[str]) -> None:
    assert parse_message_ids(header) == ids
