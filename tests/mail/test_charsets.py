"""Guessing the charset of undeclared 8-bit text in headers and bodies."""

from __future__ import annotations

import pytest

from inbox_crm.mail.charsets import decode_bytes
from inbox_crm.mail.parse import parse_message

# Short texts fit several single-byte charsets equally well; each must come
# back as written, in the charset it was written in.
TEXTS = [
    ("Café crème", "cp1252"),
    ("Räksmörgås på fredag", "cp1252"),
    ("Très bien, à bientôt", "cp1252"),
    ("Señor Núñez", "cp1252"),
    ("Grüße aus München", "cp1252"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy", "cp1250"),
    ("Zażółć gęślą jaźń", "cp1250"),
    ("Привет, как дела", "cp1251"),
    ("你好，我们下周见面吧", "gb18030"),
]


@pytest.mark.parametrize(("text", "charset"), TEXTS)
def test_undeclared_8bit_text_is_read_as_written(text: str, charset: str) -> None:
    assert decode_bytes(text.encode(charset), None) == text


@pytest.mark.parametrize(("text", "charset"), TEXTS[:5])
def test_undeclared_8bit_headers_of_western_mail(text: str, charset: str) -> None:
    raw = (
        b'From: "' + text.encode(charset) + b'" <sender@example.org>\r\n'
        b"To: someone@example.com\r\n"
        b"Subject: " + text.encode(charset) + b"\r\n"
        b"Message-ID: <charset-guess@example.org>\r\n"
        b"\r\n"
        b"No charset is declared anywhere in this message.\r\n"
    )

    parsed = parse_message(raw)

    assert parsed.subject == text
    assert parsed.from_ is not None
    assert parsed.from_.name == text
