"""The scripted conversations of the demo mailbox, written out turn by turn.

A script names who Maya is writing with, when the conversation starts (days
before the newest day of the sample) and each turn: who writes, how many
hours after the turn before, and what they say. The first turn's author
writes to everyone else in the script.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Turn:
    """One message of a conversation."""

    who: str
    after_hours: float
    body: str
    attachment: str | None = None
    auto_reply: bool = False
    # Some clients (older Outlook setups, webmail forwards) drop References
    # and In-Reply-To; only the subject then ties the reply to its thread.
    drops_references: bool = False


@dataclass(frozen=True)
class Script:
    """A conversation between Maya and one or more correspondents."""

    key: str
    subject: str
    with_: tuple[str, ...]
    start_day: int
    start_hour: float
    turns: tuple[Turn, ...]


T = Turn

SCRIPTS: tuple[Script, ...] = (
    Script(
        "northwind-kickoff",
        "Northwind website redesign: kickoff",
        ("priya", "dan"),
        58,
        9.5,
        (
            T(
                "me",
                0,
                "Hi Priya, hi Dan,\n\nthanks again for choosing us. I'd suggest a "
                "kickoff call next Tuesday at 4pm your time. Agenda: goals, "
                "audience, the current site's pain points and the timeline.",
            ),
            T("priya", 3, "Tuesday works for me. Dan, can you bring the analytics?"),
            T("dan", 1.5, "Will do. I'll pull the last 12 months of traffic."),
            T(
                "me",
                20,
                "Great, invite sent. I attached a short questionnaire; fill it "
                "in before the call if you can.",
                attachment="kickoff-questionnaire.pdf",
            ),
            T("priya", 26, "Done, see our answers inline. Looking forward to it!"),
        ),
    ),
    Script(
        "northwind-proposal",
        "Proposal: Northwind online shop, phase 2",
        ("priya",),
        44,
        14,
        (
            T(
                "me",
                0,
                "Hi Priya,\n\nas promised, here is the proposal for phase 2: "
                "subscriptions, gift cards and the wholesale portal. Total "
                "estimate 18,400 EUR over seven weeks.",
                attachment="brightlane-proposal-northwind-phase2.pdf",
            ),
            T("priya", 30, "Thanks! Can we split the wholesale portal out for now?"),
            T(
                "me",
                4,
                "Of course. Without the portal it comes to 12,900 EUR over five "
                "weeks. I'll send a revised version tomorrow.",
            ),
            T("me", 18, "Revised proposal attached.", attachment="proposal-v2.pdf"),
            T("priya", 50, "Approved. Please send the contract to Dan."),
            T("me", 2, "Wonderful, thank you! Contract goes out today."),
        ),
    ),
    Script(
        "northwind-photos",
        "Product photos for the new shop",
        ("dan",),
        33,
        11,
        (
            T("dan", 0, "Hi Maya, where should we upload the product photos?"),
            T("me", 1, "Use the shared folder I sent last week, 'shop-photos'."),
            T("dan", 2, "Uploaded 64 photos. Some are a bit dark, sorry."),
            T("me", 22, "No problem, we'll colour-correct them. Thanks, Dan!"),
        ),
    ),
    Script(
        "weiss-ci",
        "Neues Corporate Design für die Kanzlei",
        ("weiss",),
        55,
        8.5,
        (
            T(
                "weiss",
                0,
                "Sehr geehrte Frau Lindqvist,\n\nwir möchten unser "
                "Erscheinungsbild überarbeiten: Logo, Briefpapier und Website. "
                "Hätten Sie nächste Woche Zeit für ein erstes Gespräch?",
            ),
            T(
                "me",
                5,
                "Sehr geehrter Herr Weiß,\n\nvielen Dank für Ihre Anfrage! "
                "Gerne am Donnerstag um 10 Uhr, per Video oder bei Ihnen im Büro.",
            ),
            T("weiss", 20, "Donnerstag 10 Uhr in unserem Büro passt sehr gut."),
            T("me", 1, "Wunderbar, ich freue mich. Bis Donnerstag!"),
            T(
                "weiss",
                70,
                "Vielen Dank für das angenehme Gespräch. Frau Hofer schickt "
                "Ihnen die bisherigen Unterlagen.",
            ),
        ),
    ),
    Script(
        "weiss-angebot",
        "Angebot Corporate Design",
        ("weiss", "hofer"),
        47,
        15,
        (
            T(
                "me",
                0,
                "Sehr geehrter Herr Weiß, sehr geehrte Frau Hofer,\n\nanbei unser "
                "Angebot für Logo, Geschäftsausstattung und Website: 9.800 EUR "
                "netto, Umsetzung in sechs Wochen.",
                attachment="angebot-weiss-partner.pdf",
            ),
            T(
                "hofer",
                26,
                "Danke, Frau Lindqvist. Ist die Pflege der Website im ersten "
                "Jahr enthalten?",
            ),
            T("me", 3, "Ja, zwölf Monate Wartung und kleine Änderungen inklusive."),
            T(
                "weiss",
                48,
                "Dann nehmen wir das Angebot an. Bitte senden Sie uns den "
                "Vertrag zur Unterschrift.",
            ),
            T("me", 2, "Herzlichen Dank! Der Vertrag kommt heute noch."),
            T(
                "hofer",
                30,
                "Unterschriebener Vertrag im Anhang.",
                attachment="vertrag-unterschrieben.pdf",
                drops_references=True,
            ),
        ),
    ),
    Script(
        "weiss-logo",
        "Logo-Entwürfe Runde 1",
        ("weiss", "hofer"),
        30,
        10,
        (
            T(
                "me",
                0,
                "Guten Morgen,\n\nhier sind drei Entwürfe für das neue Logo. "
                "Wir freuen uns auf Ihre Rückmeldung.",
                attachment="logo-entwuerfe-r1.png",
            ),
            T("weiss", 0.2, "", auto_reply=True),
            T(
                "hofer",
                6,
                "Uns gefällt Variante B am besten, aber etwas dunkler, bitte. "
                "Herr Weiß ist bis Montag im Urlaub.",
            ),
            T("me", 20, "Verstanden, wir schicken am Dienstag eine dunklere Version."),
            T(
                "weiss",
                100,
                "Zurück aus dem Urlaub: Variante B dunkler ist perfekt. "
                "Bitte so umsetzen.",
            ),
        ),
    ),
    Script(
        "harbor-newsletter",
        "April newsletter layout",
        ("lena",),
        26,
        13,
        (
            T(
                "lena",
                0,
                "Hi Maya, the April newsletter covers the new pediatric wing. "
                "Can we use the photo set from March?",
            ),
            T("me", 2, "Yes, those are licensed for a year. Draft by Thursday."),
            T("me", 48, "Draft attached. Two layouts; I prefer the first."),
            T("lena", 5, "First one it is. Tiny typo in the second paragraph."),
            T("me", 1, "Fixed and scheduled for Monday 8am."),
        ),
    ),
    Script(
        "harbor-retainer",
        "Retainer hours for Q2",
        ("lena",),
        12,
        16,
        (
            T("me", 0, "Hi Lena, we used 31 of 40 retainer hours this quarter."),
            T("lena", 0.1, "", auto_reply=True),
        ),
    ),
    Script(
        "fjord-shop-bug",
        "Checkout broken on mobile?",
        ("erik",),
        21,
        7.5,
        (
            T(
                "erik",
                0,
                "Maya, two customers say the checkout button does nothing on "
                "iPhone. Can you look at it today?",
            ),
            T("me", 0.5, "On it. Which iOS version, do you know?"),
            T("erik", 0.7, "One said iOS 17. Thanks for the quick answer."),
            T("me", 3, "Found it: a payment script loaded too late. Fix is live."),
            T("erik", 1, "Confirmed, works now. You're a star."),
        ),
    ),
    Script(
        "fjord-winter",
        "Winter campaign landing page",
        ("erik", "tom"),
        9,
        10,
        (
            T(
                "erik",
                0,
                "We'd like a landing page for the winter sale by the 1st. "
                "Budget around 2,000 EUR.",
            ),
            T("me", 4, "Doable. Tom will do the build; I'll send sketches Friday."),
            T("tom", 2, "Hi Erik, could you send the product list for the sale?"),
            T("erik", 20, "Here it is: 24 products, prices in the sheet."),
            T("me", 30, "Sketches attached. Option 2 has the video header."),
            T("erik", 6, "Option 2, definitely."),
        ),
    ),
    Script(
        "greenleaf-inquiry",
        "Website for our bakery",
        ("olivia",),
        19,
        18,
        (
            T(
                "olivia",
                0,
                "Hello! We're opening a second bakery and need a simple website "
                "with opening hours and a pre-order form. What would that cost?",
            ),
            T(
                "me",
                15,
                "Hi Olivia, congratulations on the second shop! A site like "
                "that usually comes to 3,500-4,500 EUR. Shall we talk Thursday?",
            ),
            T("olivia", 8, "Thursday at 3 works. Talk then!"),
            T("me", 28, "Thanks for the call. Proposal attached, as discussed."),
        ),
    ),
    Script(
        "atlas-rfp",
        "RFP: intranet redesign",
        ("marcus",),
        36,
        15,
        (
            T(
                "marcus",
                0,
                "Dear Brightlane team,\n\nAtlas Logistics invites you to submit "
                "a proposal for our intranet redesign. Deadline in three weeks.",
            ),
            T("me", 20, "Thank you, Marcus. Is there a budget range you can share?"),
            T("marcus", 28, "Between 40k and 60k. Questions by Friday, please."),
            T(
                "me",
                120,
                "Our proposal is attached. Happy to present it in person.",
                attachment="brightlane-atlas-proposal.pdf",
            ),
            T("marcus", 0.05, "", auto_reply=True),
        ),
    ),
    Script(
        "kranich-anfrage",
        "Anfrage Website Fotostudio",
        ("anna",),
        15,
        9,
        (
            T(
                "anna",
                0,
                "Hallo Frau Lindqvist,\n\nich suche jemanden für die neue Website "
                "meines Fotostudios. Portfolio, Buchungskalender, zweisprachig.",
            ),
            T("me", 6, "Hallo Frau Kranich, gern! Darf ich ein paar Fragen stellen?"),
            T("anna", 4, "Natürlich, fragen Sie."),
            T(
                "me",
                24,
                "Wie viele Fotos soll das Portfolio zeigen, und nutzen Sie "
                "schon ein Buchungssystem?",
            ),
        ),
    ),
    Script(
        "sam-copy",
        "Copy for the Northwind about page",
        ("sam",),
        28,
        11,
        (
            T("me", 0, "Hi Sam, could you write the about page for Northwind?"),
            T("sam", 5, "Sure. 600 words by next Wednesday, my usual rate?"),
            T("me", 1, "Perfect, briefing attached.", attachment="briefing.pdf"),
            T("sam", 130, "First draft attached. Went for warm and a bit nerdy."),
            T("me", 20, "Love it. Two small notes inline, then it's final."),
            T("sam", 6, "Final version attached. Invoice follows."),
        ),
    ),
    Script(
        "helen-vat",
        "VAT return: missing receipts",
        ("helen",),
        24,
        10,
        (
            T(
                "helen",
                0,
                "Hi Maya, for the VAT return I'm missing three receipts from "
                "February: two printing bills and the software subscription.",
            ),
            T("me", 30, "Sorry! The printing bills are attached; software follows."),
            T("helen", 4, "Got them, thanks. Just the software one left."),
        ),
    ),
    Script(
        "cloud-ticket",
        "Ticket 48213: slow database on plan M",
        ("cloudhelp",),
        17,
        6,
        (
            T("me", 0, "Since last night queries on our plan M database take 5s+."),
            T(
                "cloudhelp",
                2,
                "Thanks for reporting. We see high I/O on the host and are "
                "moving your instance. Expect a short restart tonight.",
            ),
            T("cloudhelp", 14, "The move is complete; latency is back to normal."),
            T("me", 1, "Confirmed, all good. Thanks!"),
        ),
    ),
    Script(
        "print-cards",
        "Order 7781: business cards",
        ("print",),
        40,
        12,
        (
            T("me", 0, "Hello, attached the print file for 500 cards, 350g matte."),
            T("print", 3, "Thanks, proof attached. Please confirm by 5pm."),
            T("me", 1, "Proof confirmed."),
            T("print", 50, "Your order has shipped. Tracking: PX-7781-44."),
        ),
    ),
    Script(
        "tom-hiring",
        "Junior designer applications",
        ("tom",),
        10,
        17,
        (
            T("tom", 0, "I shortlisted four of the 23 applications. Thoughts?"),
            T("me", 14, "Good picks. Let's invite Ana and Jonas first."),
            T("tom", 2, "Invites sent for next Monday."),
        ),
    ),
    Script(
        "northwind-launch",
        "Go-live checklist",
        ("priya", "dan", "tom"),
        4,
        9,
        (
            T("me", 0, "Launch is Thursday. Checklist attached; please tick yours."),
            T("dan", 3, "Redirect list done, DNS change booked for 7am."),
            T("priya", 5, "Legal texts approved. Newsletter goes out at 10."),
            T("tom", 20, "Performance checks green. Lighthouse 98 on mobile."),
            T("me", 26, "We're live! Thank you all, it looks wonderful."),
            T("priya", 1, "Champagne on us next time you're in town!"),
        ),
    ),
    Script(
        "weiss-website",
        "Website: Inhalte und Termine",
        ("hofer",),
        6,
        11,
        (
            T(
                "hofer",
                0,
                "Guten Tag Frau Lindqvist, die Texte für die Website sind "
                "fertig. Wann brauchen Sie die Fotos der Partner?",
            ),
            T("me", 3, "Spätestens Ende nächster Woche wäre ideal."),
            T("hofer", 22, "Der Fototermin ist am Mittwoch. Passt das?"),
            T("me", 2, "Ja, perfekt. Danke Ihnen!"),
        ),
    ),
)
