"""The people of the demo mailbox: Maya's agency, its clients, leads and vendors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone


@dataclass(frozen=True)
class Person:
    """Someone who writes or receives mail in the sample mailbox."""

    key: str
    name: str
    address: str
    company: str
    language: str = "en"
    utc_offset_hours: int = 0

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def zone(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))


ME = Person(
    "me", "Maya Lindqvist", "maya@brightlane.example", "Brightlane Studio", "en", 1
)

PEOPLE: dict[str, Person] = {
    person.key: person
    for person in (
        ME,
        Person("tom", "Tom Okafor", "tom@brightlane.example", "Brightlane Studio"),
        # Clients
        Person(
            "priya", "Priya Raman", "priya@northwind.example", "Northwind", "en", -5
        ),
        Person("dan", "Dan Cho", "dan.cho@northwind.example", "Northwind", "en", -5),
        Person(
            "weiss", "Jürgen Weiß", "j.weiss@weiss-partner.example", "Weiß", "de", 1
        ),
        Person(
            "hofer", "Sabine Hofer", "s.hofer@weiss-partner.example", "Weiß", "de", 1
        ),
        Person("lena", "Lena Brooks", "lena.brooks@harborhealth.example", "Harbor"),
        Person("erik", "Erik Sand", "erik@fjord-outdoor.example", "Fjord", "en", 1),
        # Leads
        Person("olivia", "Olivia Park", "olivia@greenleaf.example", "Greenleaf", "en"),
        Person(
            "marcus", "Marcus Reed", "m.reed@atlas-logistics.example", "Atlas", "en", -6
        ),
        Person("anna", "Anna Kranich", "anna@kranich.example", "Kranich", "de", 1),
        # Vendors and advisers
        Person("print", "PixelPrint Orders", "orders@pixelprint.example", "PixelPrint"),
        Person("cloud", "CloudNest Billing", "billing@cloudnest.example", "CloudNest"),
        Person("cloudhelp", "CloudNest Support", "help@cloudnest.example", "CloudNest"),
        Person("sam", "Sam Ortega", "sam@ortega-words.example", "Ortega Words"),
        Person("helen", "Helen Marsh", "helen@marsh-accounting.example", "Marsh"),
        # Newsletters and machines
        Person("weekly", "Design Weekly", "news@designweekly.example", "Design Weekly"),
        Person("ops", "Agency Ops Digest", "digest@agencyops.example", "Agency Ops"),
        Person("front", "Frontend Notes", "notes@frontendnotes.example", "Frontend"),
        Person(
            "daemon",
            "Mail Delivery System",
            "mailer-daemon@mx.brightlane.example",
            "Brightlane Studio",
        ),
    )
}

# Prospects Maya writes to once or twice; most never answer.
PROSPECTS: tuple[Person, ...] = (
    Person("p1", "Rosa Delgado", "rosa@tidewater-cafe.example", "Tidewater Café"),
    Person("p2", "Ken Watanabe", "ken@bluepeak-yoga.example", "Bluepeak Yoga"),
    Person("p3", "Amara Nwosu", "amara@sunfield-farms.example", "Sunfield Farms"),
    Person("p4", "Liam Fischer", "liam@fischer-bikes.example", "Fischer Bikes"),
    Person("p5", "Chloé Martin", "chloe@atelier-lune.example", "Atelier Lune"),
    Person("p6", "Noah Bennett", "noah@bennett-legal.example", "Bennett Legal"),
    Person("p7", "Ines Duarte", "ines@casa-duarte.example", "Casa Duarte"),
    Person("p8", "Ravi Patel", "ravi@copperkettle.example", "Copper Kettle"),
    Person("p9", "Hanna Berg", "hanna@nordlicht-reisen.example", "Nordlicht", "de", 1),
    Person("p10", "Owen Clarke", "owen@clarke-joinery.example", "Clarke Joinery"),
    Person("p11", "Mei Lin", "mei@lotus-tea.example", "Lotus Tea"),
    Person("p12", "Felix Wagner", "felix@wagner-optik.example", "Wagner Optik", "de"),
)


def person(key: str) -> Person:
    """The person with `key`, from the cast or the prospects."""
    if key in PEOPLE:
        return PEOPLE[key]
    for prospect in PROSPECTS:
        if prospect.key == key:
            return prospect
    raise KeyError(key)
