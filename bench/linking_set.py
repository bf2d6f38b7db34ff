"""A labelled set for the linking benchmark: contacts, companies and participants.

Deterministic for a seed. Every participant carries the truth: the contact
and company it belongs to (either may be None). The hard cases the ladder
must survive are all here: display-name-only senders from free-mail,
secondary and plus-tagged addresses, googlemail spellings, mail subdomains,
subsidiaries writing from a domain the CRM does not know, people with
near-identical names at different companies, role and no-reply addresses,
mailing lists that rewrite From, and strangers, some of whom share a
contact's name.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = words(
    """
    Ada Alan Alice Amara Anna Anton Ben Bianca Björn Carla Carlos Chloé Chen Clara
    Dan Daniel David Diego Elena Elif Emma Erik Eva Fatima Felix Finn François
    Grace Hana Hannah Hugo Ines Ingrid Isaac Ivan Jana Jon John José Julia Jürgen
    Karin Kenji Lara Lea Leo Lina Lukas Łukasz Maja Marco Maria Mark Marta Mateo
    Mei Mia Mikael Nadia Nina Noah Nora Olga Omar Oscar Paula Pedro Petra Priya
    Rafael Ravi Rosa Ruth Sabine Sam Sara Sofia Søren Stefan Tariq Theo Tom Ulla
    Vera Victor Wei Yara Yusuf Zoë Zofia Aylin Bruno Dora Emil Greta Hamza Ilse
    Jasper Kai Liv Milan Nils Otto Pia Quinn Rina Sven
    """
)
LAST = words(
    """
    Abbott Adler Ahmed Alvarez Andersen Bauer Becker Berg Bianchi Brandt Brooks
    Byron Carter Castro Chen Cho Costa Dahl Dvořák Eriksson Fischer Fontaine
    García Gomez Graham Hahn Hansen Hartmann Hofer Horvat Ivanova Jensen Kaur
    Keller Kim Klein Koch Kowalski Krause Lambert Larsen Lehmann Lindqvist Lopez
    Martin Meyer Moreau Müller Nakamura Neumann Nguyen Nielsen Nuñez Novak
    Ødegaard Okafor Olsen Ortega Park Patel Peters Petrov Quist Raman Reed Richter
    Rossi Sand Santos Schmidt Schneider Schulz Silva Smith Sousa Stone Suzuki
    Tanaka Thomsen Torres Vogel Wagner Walsh Wang Weber Weiß Wolf Yilmaz Young
    Zimmermann Aalto Bergström Cruz Duarte Ekström Falk Gallo Haas Iqbal Jovanović
    Kaya Lund Mancini Nowak Oliveira Pavlov Rasmussen Svoboda Turner
    """
)
STEMS = words(
    """
    acme north wind bright lane harbor fjord atlas copper kettle green leaf blue
    peak sun field tide water lotus marsh wagner fischer clarke orbit nova delta
    summit pioneer vertex quantum cedar maple river stone iron silver golden
    crystal falcon eagle pine oak willow coral amber lumen vector prism apex
    zenith horizon meridian beacon anchor compass harvest ember
    """
)
SUFFIXES = ("com", "com", "com", "co.uk", "de", "fr", "com.au", "io", "nl", "es")
KINDS = ("gmbh", "labs", "group", "studio", "works", "partners", "systems", "")
FREE = words(
    """
    gmail.com gmail.com gmail.com yahoo.com outlook.com hotmail.com gmx.de web.de
    icloud.com proton.me aol.com yahoo.co.uk orange.fr libero.it t-online.de
    """
)
ROLES = ("info", "noreply", "no-reply", "notifications", "support", "billing")
NICKNAMES = {"Daniel": "Dan", "David": "Dave", "Alexander": "Alex", "Elena": "Lena"}
NEAR = {"Anna": "Hanna", "Jon": "John", "Lea": "Leah", "Maria": "Marie", "Mark": "Marc"}


@dataclass
class CompanyRow:
    id: int
    name: str
    domains: list[str]
    subsidiary: str | None = None  # a domain the CRM does not know


@dataclass
class ContactRow:
    id: int
    name: str
    company_id: int | None
    addresses: list[str]  # the first is primary


@dataclass(frozen=True)
class Case:
    """One participant with the truth and the hard case it stands for."""

    address: str
    name: str
    case: str
    contact_id: int | None
    company_id: int | None
    role: str = "from"
    list_id: str | None = None


@dataclass
class LabelledSet:
    companies: list[CompanyRow] = field(default_factory=list)
    contacts: list[ContactRow] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)


def ascii_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def local_part(name: str, style: int) -> str:
    words = ascii_name(name).lower().replace("ø", "o").replace("ł", "l").split()
    first, last = words[0], words[-1]
    return (f"{first}.{last}", f"{first[0]}.{last}", first, f"{first}{last[0]}")[
        style % 4
    ]


class Generator:
    """Builds a LabelledSet of a given size from one seed."""

    def __init__(self, seed: int, contacts: int, companies: int) -> None:
        self.rng = random.Random(seed)
        self.set = LabelledSet()
        self.n_contacts = contacts
        self.n_companies = companies
        self.used: set[str] = set()
        self._names: set[str] = set()
        self._pairs: list[ContactRow] = []

    def build(self, messages: int) -> LabelledSet:
        self._companies()
        self._contacts()
        self._names = {contact.name for contact in self.set.contacts}
        self.set.cases = list(self._cases(messages))
        return self.set

    def _unique(self, make: object) -> str:
        for _ in range(1000):
            value = make()  # type: ignore[operator]
            if value not in self.used:
                self.used.add(value)
                return str(value)
        raise RuntimeError("name space exhausted")

    def _companies(self) -> None:
        rng = self.rng
        for number in range(1, self.n_companies + 1):

            def stem(number: int = number) -> str:
                words = (
                    rng.sample(STEMS, 2) if rng.random() < 0.7 else rng.sample(STEMS, 1)
                )
                kind = rng.choice(KINDS)
                suffix = f"{rng.randrange(100)}" if number > 2000 else ""
                return "-".join([*words, *([kind] if kind else [])]) + suffix

            base = self._unique(stem)
            domains = [f"{base}.{rng.choice(SUFFIXES)}"]
            if rng.random() < 0.2:
                other = f"{base}.{rng.choice(('de', 'fr', 'nl', 'co.uk'))}"
                if other not in domains:
                    domains.append(other)
            subsidiary = f"{base}-{rng.choice(('labs', 'digital', 'intl'))}.com"
            name = " ".join(part.capitalize() for part in base.split("-"))
            self.set.companies.append(CompanyRow(number, name, domains, subsidiary))

    def _contacts(self) -> None:
        rng = self.rng
        companies = self.set.companies
        for number in range(1, self.n_contacts + 1):
            company = rng.choice(companies) if rng.random() < 0.9 else None

            def person() -> str:
                return f"{rng.choice(FIRST)} {rng.choice(LAST)}"

            name = person()
            addresses = []
            if company is not None:
                style = rng.randrange(4)
                addresses.append(f"{local_part(name, style)}@{company.domains[0]}")
            if company is None or rng.random() < 0.25:
                tail = rng.randrange(10, 9999)
                free = rng.choice(FREE)
                addresses.append(f"{local_part(name, 0)}{tail}@{free}")
            addresses = [a for a in addresses if a not in self.used]
            self.used.update(addresses)
            if not addresses:
                continue
            cid = company.id if company else None
            self.set.contacts.append(ContactRow(number, name, cid, addresses))
        self._near_identical_pairs()

    def _near_identical_pairs(self) -> None:
        """Pairs like Anna Meyer at one company and Hanna Meyer at another."""
        rng = self.rng
        base = self.n_contacts + 1
        for offset, (first, near) in enumerate(sorted(NEAR.items()) * 8):
            last = rng.choice(LAST)
            one, two = rng.sample(self.set.companies, 2)
            for index, (given, company) in enumerate(((first, one), (near, two))):
                name = f"{given} {last}"
                address = f"{local_part(name, 0)}@{company.domains[0]}"
                if address in self.used:
                    continue
                self.used.add(address)
                contact_id = base + offset * 2 + index
                row = ContactRow(contact_id, name, company.id, [address])
                self.set.contacts.append(row)
                self._pairs.append(row)

    def _cases(self, messages: int) -> Iterator[Case]:
        rng = self.rng
        weights = {
            "exact": 30,
            "secondary": 7,
            "plus_tag": 3,
            "googlemail": 2,
            "new_address_at_company": 7,
            "mail_subdomain": 3,
            "free_mail_name_only": 8,
            "subsidiary": 3,
            "near_identical": 3,
            "colleague_not_in_crm": 9,
            "near_namesake_colleague": 3,
            "stranger_unknown_company": 8,
            "stranger_free_mail": 7,
            "role_address": 5,
            "list_rewritten_from": 3,
            "nickname": 2,
        }
        names = list(weights)
        chosen = rng.choices(names, weights=[weights[n] for n in names], k=messages)
        for case in chosen:
            made = getattr(self, f"_{case}")()
            if made is not None:
                yield made

    def _contact(self, need_company: bool = True) -> ContactRow:
        while True:
            contact = self.rng.choice(self.set.contacts)
            if contact.company_id or not need_company:
                return contact

    def _company(self, contact: ContactRow) -> CompanyRow:
        return self.set.companies[(contact.company_id or 1) - 1]

    def _variant(self, name: str) -> str:
        first, _, last = name.partition(" ")
        return self.rng.choice(
            (
                name,
                name.upper(),
                name.lower(),
                f"{last}, {first}",
                f"{first} {self.rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}",
                ascii_name(name),
            )
        )

    def _exact(self) -> Case:
        c = self._contact(need_company=False)
        return Case(c.addresses[0], self._variant(c.name), "exact", c.id, c.company_id)

    def _secondary(self) -> Case:
        for _ in range(100):
            c = self._contact(need_company=False)
            if len(c.addresses) > 1:
                return Case(c.addresses[1], c.name, "secondary", c.id, c.company_id)
        return self._exact()

    def _plus_tag(self) -> Case:
        c = self._contact(need_company=False)
        local, _, domain = c.addresses[0].partition("@")
        tag = self.rng.choice(("news", "crm", "invoices", "travel"))
        return Case(f"{local}+{tag}@{domain}", c.name, "plus_tag", c.id, c.company_id)

    def _googlemail(self) -> Case:
        for _ in range(200):
            c = self._contact(need_company=False)
            gmail = [a for a in c.addresses if a.endswith("@gmail.com")]
            if gmail:
                local = gmail[0].partition("@")[0].replace(".", "")
                address = f"{local}@googlemail.com"
                return Case(address, c.name, "googlemail", c.id, c.company_id)
        return self._plus_tag()

    def _new_address_at_company(self) -> Case:
        c = self._contact()
        company = self._company(c)
        address = (
            f"{local_part(c.name, 3)}{self.rng.randrange(9)}@{company.domains[-1]}"
        )
        return Case(
            address, self._variant(c.name), "new_address_at_company", c.id, c.company_id
        )

    def _mail_subdomain(self) -> Case:
        c = self._contact()
        company = self._company(c)
        local = local_part(c.name, 1) + "x"
        address = (
            f"{local}@{self.rng.choice(('mail', 'eu', 'corp'))}.{company.domains[0]}"
        )
        return Case(address, c.name, "mail_subdomain", c.id, c.company_id)

    def _free_mail_name_only(self) -> Case:
        c = self._contact(need_company=False)
        handle = "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyz", k=6))
        address = f"{handle}{self.rng.randrange(99)}@{self.rng.choice(FREE)}"
        return Case(
            address, self._variant(c.name), "free_mail_name_only", c.id, c.company_id
        )

    def _subsidiary(self) -> Case:
        c = self._contact()
        company = self._company(c)
        address = f"{local_part(c.name, 0)}@{company.subsidiary}"
        return Case(address, c.name, "subsidiary", c.id, c.company_id)

    def _near_identical(self) -> Case:
        c = self.rng.choice(self._pairs)
        company = self._company(c)
        address = (
            f"{local_part(c.name, 2)}.{self.rng.randrange(99)}@{company.domains[0]}"
        )
        return Case(address, c.name, "near_identical", c.id, c.company_id)

    def _colleague_not_in_crm(self) -> Case:
        c = self._contact()
        company = self._company(c)
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        address = f"{local_part(name, 0)}.q@{company.domains[0]}"
        return Case(address, name, "colleague_not_in_crm", None, company.id)

    def _near_namesake_colleague(self) -> Case:
        """A colleague not in the CRM whose name is one letter off a contact's."""
        for _ in range(500):
            c = self._contact()
            first, _, last = c.name.partition(" ")
            near = NEAR.get(first) or {v: k for k, v in NEAR.items()}.get(first)
            if near is None:
                near = first[:-1] if len(first) > 4 else None
            if near:
                company = self._company(c)
                name = f"{near} {last}"
                address = f"{local_part(name, 0)}.c@{company.domains[0]}"
                return Case(address, name, "near_namesake_colleague", None, company.id)
        return self._colleague_not_in_crm()

    def _stranger_unknown_company(self) -> Case:
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        domain = f"{self.rng.choice(STEMS)}{self.rng.randrange(10000)}.com"
        return Case(
            f"{local_part(name, 0)}@{domain}",
            name,
            "stranger_unknown_company",
            None,
            None,
        )

    def _stranger_free_mail(self) -> Case:
        name = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"
        tail = self.rng.randrange(100, 99999)
        address = f"{local_part(name, 2)}{tail}@{self.rng.choice(FREE)}"
        same = name in self._names
        case = "stranger_free_mail_same_name" if same else "stranger_free_mail"
        return Case(address, name, case, None, None)

    def _role_address(self) -> Case:
        company = self.rng.choice(self.set.companies)
        role = self.rng.choice(ROLES)
        host = company.domains[0]
        if role.startswith("no"):
            host = f"mail.{host}"
        return Case(f"{role}@{host}", company.name, "role_address", None, company.id)

    def _list_rewritten_from(self) -> Case:
        list_name = self.rng.choice(("dev", "users", "announce", "community"))
        host = f"lists.{self.rng.choice(STEMS)}.org"
        if self.rng.random() < 0.6:
            c = self._contact(need_company=False)
            name, truth, company = c.name, c.id, c.company_id
        else:
            name, truth, company = (
                f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
                None,
                None,
            )
            if name in self._names:
                return self._stranger_unknown_company()
        return Case(
            f"{list_name}@{host}",
            f"{name} via {list_name.capitalize()}",
            "list_rewritten_from",
            truth,
            company,
            list_id=f"{list_name}.{host}",
        )

    def _nickname(self) -> Case:
        for _ in range(500):
            c = self._contact()
            first, _, last = c.name.partition(" ")
            if first in NICKNAMES:
                company = self._company(c)
                name = f"{NICKNAMES[first]} {last}"
                address = f"{local_part(name, 0)}.n@{company.domains[0]}"
                return Case(address, name, "nickname", c.id, c.company_id)
        return self._new_address_at_company()


def labelled_set(
    seed: int = 7, contacts: int = 2400, companies: int = 360, messages: int = 12000
) -> LabelledSet:
    """The benchmark's labelled set (defaults meet the issue's minimum sizes)."""
    return Generator(seed, contacts, companies).build(messages)
