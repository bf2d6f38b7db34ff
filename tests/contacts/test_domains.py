"""Registrable domains, free-mail and disposable domains: offline, from packages."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from inbox_crm.contacts.domains import is_disposable, is_free_mail, registrable_domain


@pytest.mark.parametrize(
    ("domain", "registrable"),
    [
        ("mail.acme.co.uk", "acme.co.uk"),
        ("ACME.co.uk.", "acme.co.uk"),
        ("eu.smtp.example.com", "example.com"),
        ("mail.yahoo.co.jp", "yahoo.co.jp"),
        ("shop.example.com.au", "example.com.au"),
        ("northwind.example", "northwind.example"),
        ("a.b.c.test", "c.test"),
        ("localhost", "localhost"),
        ("", ""),
        # A wildcard rule (*.ck) takes one more label, unless an exception
        # (!www.ck, !city.kawasaki.jp) names it.
        ("a.b.ck", "a.b.ck"),
        ("mail.www.ck", "www.ck"),
        ("x.y.kawasaki.jp", "x.y.kawasaki.jp"),
        ("shop.city.kawasaki.jp", "city.kawasaki.jp"),
        # Punycode labels match the list's Unicode rules and stay as written.
        ("shop.example.xn--p1ai", "example.xn--p1ai"),
        # Only the ICANN section counts: private suffixes are not registries.
        ("mail.example.blogspot.com", "blogspot.com"),
        ("a.b.c.d.github.io", "github.io"),
        ("co.uk", "co.uk"),
    ],
)
def test_the_registrable_domain_comes_from_the_public_suffix_list(
    domain: str, registrable: str
) -> None:
    assert registrable_domain(domain) == registrable


@pytest.mark.parametrize(
    ("domain", "free", "disposable"),
    [
        ("gmail.com", True, False),
        ("googlemail.com", True, False),
        ("gmx.de", True, False),
        ("mailinator.com", True, True),
        ("acme.co.uk", False, False),
    ],
)
def test_free_mail_and_disposable_domains_come_from_maintained_lists(
    domain: str, free: bool, disposable: bool
) -> None:
    assert (is_free_mail(domain), is_disposable(domain)) == (free, disposable)


def test_no_suffix_list_is_ever_fetched() -> None:
    """Every connection refused, and an environment asking for a download."""
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise AssertionError("a network connection was attempted")

        socket.socket.connect = refuse
        socket.create_connection = refuse

        from inbox_crm.contacts.domains import registrable_domain

        assert registrable_domain("mail.acme.co.uk") == "acme.co.uk"
        assert registrable_domain("x.bbc.co.uk") == "bbc.co.uk"
        print("offline")
        """
    )
    environment = {
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "https://publicsuffix.org/list/x.dat",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "offline"
