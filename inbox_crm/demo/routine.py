"""The everyday mail of the demo: status reports, scheduling, outreach, invoices.

These conversations follow patterns, so they are drawn from small pools of
lines with a seeded random generator: the same seed gives the same mail.
"""

from __future__ import annotations

from random import Random

from inbox_crm.demo.people import PROSPECTS, person
from inbox_crm.demo.scripts import Script, Turn

STATUS_CLIENTS = (("priya", "Northwind", 2), ("erik", "Fjord Outdoor", 3))
STATUS_WEEKS = 8

PROGRESS = (
    "Templates for the product pages are done and in review.",
    "We finished the accessibility pass; contrast issues are fixed.",
    "The staging site now has the new navigation.",
    "Image optimisation cut page weight by 40 percent.",
    "Search results page is styled; filters come next week.",
    "We set up analytics events for the checkout steps.",
    "Newsletter sign-up form is connected to your mailing tool.",
    "Footer, legal pages and cookie banner are finished.",
)
QUESTIONS = (
    "Looks good. Can we see the mobile version before Friday?",
    "Thanks! Is the launch date still on track?",
    "Great progress. Could you add the new logo to the header?",
    "Nice. How many hours are left in this month's budget?",
    "Thanks for the update, no questions from our side.",
)
ANSWERS = (
    "Yes, I'll send a preview link tomorrow morning.",
    "Still on track, no risks at the moment.",
    "Done, it's on staging now.",
    "About 11 hours left; I'll flag it if we get close.",
)
CALLS = (
    ("Quick call about {}?", "Do you have 15 minutes tomorrow to talk about {}?"),
    ("Meeting on {}", "Could we meet on Thursday to go through {}?"),
    ("Time for {} next week?", "Is there a slot next week to go over {}?"),
)
CALL_TOPICS = (
    "the sitemap",
    "the photo shoot",
    "the budget",
    "the launch plan",
    "hosting",
    "the style guide",
    "SEO",
    "the newsletter",
    "analytics",
    "the contract",
    "accessibility",
    "the shop texts",
)
CALLS_DE = (
    ("Termin zu {}", "Hätten Sie nächste Woche Zeit für einen Termin zu {}?"),
    ("Kurze Rückfrage zu {}", "Darf ich Sie morgen kurz zu {} anrufen?"),
)
CALL_TOPICS_DE = ("den Visitenkarten", "der Website", "dem Fototermin", "den Texten")
CALL_PEOPLE = ("priya", "dan", "lena", "erik", "weiss", "hofer", "olivia", "sam")
YES = ("Works for me, talk then.", "Yes, that's fine.", "Perfect, see you then.")
YES_DE = ("Ja, das passt gut.", "Sehr gerne, bis dann.")
INTERNAL = (
    ("Can you review the Fjord banner?", "Looks great, ship it."),
    ("Lunch today?", "Yes! 12:30 at the usual place."),
    ("Font licence renewal", "Renewed, the receipt is in the shared drive."),
    ("Portfolio update", "Added the Northwind case study, have a look."),
    ("Studio closed on Friday", "Noted, I'll tell the clients."),
    ("New laptop arrived", "Nice, I'll set it up on Monday."),
    ("Timesheets for March", "Mine are in, sorry for the delay."),
    ("Client gift ideas", "Northwind coffee for everyone? Ha."),
    ("Backup drive is full", "Ordered a bigger one, arrives Thursday."),
    ("Harbor photos licence", "It runs until next April, we're fine."),
)


def routine_scripts(rng: Random) -> list[Script]:
    """Every patterned conversation of the sample, in a fixed order."""
    return [
        *status_reports(rng),
        *scheduling(rng),
        *outreach(rng),
        *internal(rng),
        *invoices(),
    ]


def status_reports(rng: Random) -> list[Script]:
    """Maya's weekly update to each active client, sometimes answered."""
    scripts = []
    for key, company, weekday in STATUS_CLIENTS:
        for week in range(STATUS_WEEKS):
            number = STATUS_WEEKS - week
            turns = [Turn("me", 0, rng.choice(PROGRESS) + "\n" + rng.choice(PROGRESS))]
            if rng.random() < 0.8:
                turns.append(Turn(key, rng.uniform(2, 20), rng.choice(QUESTIONS)))
                if rng.random() < 0.5:
                    turns.append(Turn("me", rng.uniform(1, 6), rng.choice(ANSWERS)))
            scripts.append(
                Script(
                    f"status-{key}-{number}",
                    f"{company} weekly update #{number}",
                    (key,),
                    weekday + 7 * week,
                    16,
                    tuple(turns),
                )
            )
    return scripts


def scheduling(rng: Random, count: int = 36) -> list[Script]:
    """Short threads that set up calls and meetings, each about its own topic."""
    scripts = []
    english = german_count = 0
    for index in range(count):
        key = CALL_PEOPLE[index % len(CALL_PEOPLE)]
        german = person(key).language == "de"
        if german:
            subject, ask = _call(CALLS_DE, CALL_TOPICS_DE, german_count)
            german_count += 1
        else:
            subject, ask = _call(CALLS, CALL_TOPICS, english)
            english += 1
        first, second = ("me", key) if rng.random() < 0.6 else (key, "me")
        answer = rng.choice(YES_DE if german else YES)
        turns = [Turn(first, 0, ask), Turn(second, rng.uniform(0.5, 5), answer)]
        if rng.random() < 0.4:
            turns.append(Turn(first, rng.uniform(0.2, 3), "Great, thanks!"))
        scripts.append(
            Script(
                f"call-{index + 1}",
                subject,
                (key,),
                rng.randint(3, 56),
                rng.uniform(8, 16),
                tuple(turns),
            )
        )
    return scripts


def _call(
    templates: tuple[tuple[str, str], ...], topics: tuple[str, ...], number: int
) -> tuple[str, str]:
    """The subject and question of the `number`th call, never the same twice."""
    subject, ask = templates[number % len(templates)]
    topic = topics[(number // len(templates)) % len(topics)]
    return subject.format(topic), ask.format(topic)


def outreach(rng: Random) -> list[Script]:
    """Introductions to prospects; most stay unanswered, a few follow-ups go out."""
    scripts = []
    for index, prospect in enumerate(PROSPECTS):
        company = prospect.company
        intro = (
            f"Hi {prospect.name.split()[0]},\n\nI run Brightlane Studio, a small "
            f"design agency. I had a look at {company}'s website and have a few "
            "ideas that could bring in more online bookings. Would a short call "
            "be useful?"
        )
        turns = [Turn("me", 0, intro)]
        turns.extend(_outreach_answer(prospect.key))
        if len(turns) == 1 and index % 3 != 2:
            follow_up = "Just bringing this back to the top of your inbox."
            turns.append(Turn("me", rng.uniform(120, 170), follow_up))
        scripts.append(
            Script(
                f"outreach-{prospect.key}",
                f"Ideas for {company}'s website",
                (prospect.key,),
                rng.randint(10, 50),
                rng.uniform(9, 11),
                tuple(turns),
            )
        )
    return scripts


def _outreach_answer(key: str) -> list[Turn]:
    if key == "p3":
        return [Turn(key, 26, "Hi Maya, good timing! Could you call me Monday?")]
    if key == "p7":
        return [Turn(key, 50, "Thanks, but we're not planning anything this year.")]
    if key == "p9":
        return [Turn(key, 30, "Hallo Frau Lindqvist, gerne! Rufen Sie mich an.")]
    if key == "p4":
        return [Turn(key, 0.02, "", auto_reply=True)]
    return []


def internal(rng: Random) -> list[Script]:
    """Quick notes between Maya and Tom."""
    scripts = []
    for index, (subject, answer) in enumerate(INTERNAL):
        first, second = ("tom", "me") if index % 2 else ("me", "tom")
        turns = (
            Turn(first, 0, subject + "?"),
            Turn(second, rng.uniform(0.2, 3), answer),
        )
        scripts.append(
            Script(
                f"internal-{index + 1}",
                subject,
                ("tom",),
                rng.randint(2, 55),
                rng.uniform(9, 15),
                turns,
            )
        )
    return scripts


def invoices() -> list[Script]:
    """Bills from the vendors, one with a reply."""
    return [
        Script(
            "cloud-invoice-1",
            "Your CloudNest invoice INV-2025-0211",
            ("cloud",),
            42,
            5,
            (Turn("cloud", 0, "Your invoice of 89.00 EUR is attached.", "inv.pdf"),),
        ),
        Script(
            "cloud-invoice-2",
            "Your CloudNest invoice INV-2025-0311",
            ("cloud",),
            13,
            5,
            (Turn("cloud", 0, "Your invoice of 89.00 EUR is attached.", "inv.pdf"),),
        ),
        Script(
            "sam-invoice",
            "Invoice 2025-07: Northwind about page",
            ("sam",),
            20,
            9,
            (
                Turn("sam", 0, "Invoice for the about page attached.", "ortega.pdf"),
                Turn("me", 28, "Paid today, thanks again Sam!"),
            ),
        ),
    ]
