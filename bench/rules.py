"""Rules benchmark: 1,000 rules against 10,000 messages, beside plain Python.

The rules are real rule files, written to a temporary folder and loaded by
the real loader. Each message is one event: the engine tests every rule's
conditions (and plans the actions of the rules that hit, rendering their
texts and due times). The baseline evaluates the same conditions as
hand-written Python functions over the same facts, in the same run. Both
must agree on every hit.

    .venv/bin/python bench/rules.py [--rules 1000] [--messages 10000]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inbox_crm.config import BusinessConfig, Config
from inbox_crm.rules.calendars import Calendars
from inbox_crm.rules.decide import Event, History, decide
from inbox_crm.rules.facts import Facts, MessageFacts, Party, ThreadFacts
from inbox_crm.rules.loader import load_rules

DOMAINS = [f"client{n}.example" for n in range(300)]
WORDS = [f"topic{n}" for n in range(400)]
TAGS = ["vip", "lead", "partner", "churned", "billing", "press"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

Check = Callable[[Facts], bool]


def rule_yaml(number: int, rng: random.Random) -> tuple[str, Check]:
    """One rule of six shapes, and the same test written by hand."""
    shape = number % 6
    domain, word = rng.choice(DOMAINS), rng.choice(WORDS)
    tag, other = rng.choice(TAGS), rng.choice(DOMAINS)
    if shape == 0:
        when = f"from.domain: {domain}"

        def check(f: Facts) -> bool:
            return f.message is not None and f.message.from_domain == domain

    elif shape == 1:
        when = f"subject: {{contains: {word.upper()}}}"

        def check(f: Facts) -> bool:
            return f.message is not None and word in f.message.subject.casefold()

    elif shape == 2:
        when = (
            f"all:\n        - direction: inbound\n"
            f"        - subject: {{matches: '\\b{word}\\s+\\d+'}}"
        )
        pattern = re.compile(rf"\b{word}\s+\d+", re.IGNORECASE)

        def check(f: Facts) -> bool:
            m = f.message
            return (
                m is not None
                and m.direction == "inbound"
                and pattern.search(m.subject) is not None
            )

    elif shape == 3:
        when = (
            f"any:\n        - to.address: [sales@{domain}, info@{other}]\n"
            f"        - all: [{{contact.tags: {tag}}}, {{from.domain: {domain}}}]"
        )
        targets = {f"sales@{domain}", f"info@{other}"}

        def check(f: Facts) -> bool:
            m = f.message
            if m is None:
                return False
            if any(address in targets for address in m.to):
                return True
            return (
                f.contact is not None
                and tag in (t.casefold() for t in f.contact.tags)
                and m.from_domain == domain
            )

    elif shape == 4:
        when = (
            "all:\n        - not: {kind: auto_reply}\n"
            "        - attachments.count: {at_least: 2}\n"
            f"        - from.domain: {{ends_with: '{domain}'}}"
        )
        suffix = domain

        def check(f: Facts) -> bool:
            m = f.message
            return (
                m is not None
                and m.kind != "auto_reply"
                and len(m.attachments) >= 2
                and m.from_domain.endswith(suffix)
            )

    else:
        day = rng.choice(WEEKDAYS[:5])
        when = (
            f"all:\n        - time.weekday: {day}\n"
            f"        - body: {{contains: {word}}}\n"
            "        - time.business_hours: true"
        )

        def check(f: Facts) -> bool:
            m = f.message
            return (
                m is not None
                and WEEKDAYS[f.local.weekday()] == day
                and word in m.body.casefold()
                and f.calendar.is_open(f.moment)
            )

    text = f"""\
  - id: rule-{number}
    description: benchmark rule {number}
    trigger: message_received
    when:
      {when}
    actions:
      - activity:
          title: "Look at {{{{ message.subject }}}} from {{{{ message.from }}}}"
          due: 2 business days
"""
    return text, check


def make_facts(number: int, rng: random.Random, calendars: Calendars) -> Facts:
    domain = rng.choice(DOMAINS)
    words = rng.sample(WORDS, 3)
    moment = START + timedelta(minutes=7 * number)
    message = MessageFacts(
        id=number,
        fingerprint=f"f{number}",
        mailbox="work",
        mailbox_id=1,
        message_id=f"m{number}@{domain}",
        date=moment,
        direction="inbound" if rng.random() < 0.8 else "outbound",
        kind="auto_reply" if rng.random() < 0.05 else "normal",
        bulk=False,
        list_id=None,
        from_address=f"person{number % 997}@{domain}",
        from_name=f"Person {number}",
        to=(f"sales@{rng.choice(DOMAINS)}",),
        cc=(),
        subject=f"Re: {words[0]} {number % 50} and {words[1]}",
        body=f"Hello,\nabout {words[2]}: see attached.\n" * 20,
        attachments=tuple(f"file{n}.pdf" for n in range(rng.randint(0, 3))),
        thread=ThreadFacts(number, messages=1),
    )
    contact = None
    if rng.random() < 0.5:
        contact = Party(number, f"Person {number}", tuple(rng.sample(TAGS, 2)))
    return Facts(
        trigger="message_received",
        moment=moment,
        calendar=calendars.default,
        message=message,
        contact=contact,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=10000)
    args = parser.parse_args()
    rng = random.Random(20261204)

    pieces = [rule_yaml(number, rng) for number in range(args.rules)]
    checks = [check for _, check in pieces]
    config = Config(
        path=Path("bench.toml"),
        database_url="sqlite://",
        business=BusinessConfig(timezone="Europe/Berlin", country="DE"),
    )
    calendars = Calendars(config)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "bench.yaml").write_text(
            "rules:\n" + "".join(text for text, _ in pieces), encoding="utf-8"
        )
        started = time.perf_counter()
        rules = load_rules(Path(folder))
        load_seconds = time.perf_counter() - started
    events = [make_facts(n, rng, calendars) for n in range(args.messages)]

    # Baseline: the conditions as hand-written Python.
    started = time.perf_counter()
    baseline_hits = [sum(check(facts) for check in checks) for facts in events]
    baseline = time.perf_counter() - started

    # The engine's conditions only: parse tree, folding, operators.
    started = time.perf_counter()
    condition_hits = []
    for facts in events:
        fresh = replace(facts, cache={})
        condition_hits.append(
            sum(
                rule.condition is not None and rule.condition.test(fresh)
                for rule in rules.rules
            )
        )
    conditions = time.perf_counter() - started

    # The whole decision: conditions, then planning the hits (texts, dues).
    history = History(cap=10**9)
    started = time.perf_counter()
    planned = 0
    decided_hits = []
    for facts in events:
        event = Event("message_received", "bench", replace(facts, cache={}), "x")
        outcomes = decide(rules.rules, event, history, calendars)
        decided_hits.append(sum(outcome.hit for outcome in outcomes))
        planned += sum(len(outcome.plans) for outcome in outcomes)
    deciding = time.perf_counter() - started

    if not baseline_hits == condition_hits == decided_hits:
        print("MISMATCH: the engine and the baseline disagree on hits", file=sys.stderr)
        return 1

    total_hits = sum(baseline_hits)
    count = len(events)
    print(f"rules: {len(rules.rules)} (loaded and validated in {load_seconds:.2f} s)")
    print(
        f"messages: {count}, hits: {total_hits} "
        f"({total_hits / count:.2f} per message), actions planned: {planned}"
    )
    print(f"{'':34}{'events/s':>10}{'µs/rule test':>14}{'vs baseline':>13}")
    for label, seconds in (
        ("hand-written Python (baseline)", baseline),
        ("engine: conditions", conditions),
        ("engine: decide (and plan the hits)", deciding),
    ):
        per_rule = seconds / (count * len(rules.rules)) * 1e6
        print(
            f"{label:34}{count / seconds:>10.0f}{per_rule:>14.2f}"
            f"{seconds / baseline:>12.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
