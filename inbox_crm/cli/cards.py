"""Printing a client card (contact or company) for people or as JSON."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from inbox_crm.wording import counted

AWAITING_SHOWN = 5


def print_card(card: dict[str, Any], output_format: str) -> None:
    """The card as one JSON object, or as text and tables."""
    if output_format == "json":
        click.echo(json.dumps(card, ensure_ascii=False, default=str))
        return
    console = Console()
    console.print(f"[bold]{card['name'] or '(no name)'}[/bold]  (id {card['id']})")
    for label, value in _details(card):
        console.print(f"  {label:<14}{value}")
    console.print(f"  {'last inbound':<14}{_when(card['last_inbound'])}")
    console.print(f"  {'last outbound':<14}{_when(card['last_outbound'])}")
    waiting = card["awaiting_reply"]
    if waiting:
        console.print(
            f"[bold]Awaiting your reply[/bold] ({counted(len(waiting), 'thread')})"
        )
        for entry in waiting[:AWAITING_SHOWN]:
            console.print(f"  {_when(entry)}")
        if len(waiting) > AWAITING_SHOWN:
            console.print(f"  … {len(waiting) - AWAITING_SHOWN} older (--format json)")
    shown = len(card["timeline"])
    console.print(f"[bold]Timeline[/bold] ({shown} of {card['message_count']})")
    table = Table("date (UTC)", "dir", "kind", "subject", "message", "thread")
    for entry in card["timeline"]:
        table.add_row(
            entry["date"][:16].replace("T", " "),
            _direction(entry),
            entry["kind"],
            entry["subject"][:60],
            str(entry["message"]),
            str(entry["thread_id"] or ""),
        )
    console.print(table)
    _work(console, card)


def _direction(entry: dict[str, Any]) -> str:
    if entry.get("outbox_id") is not None:
        return f"out, by inbox-crm (outbox {entry['outbox_id']})"
    return "out" if entry["direction"] == "outbound" else "in"


def _work(console: Console, card: dict[str, Any]) -> None:
    """The activities, tickets, outreach and rule firings, where there are any."""
    activities = [a for a in card.get("activities", []) if a["status"] == "open"]
    if activities:
        console.print(f"[bold]Open activities[/bold] ({len(activities)})")
        for activity in activities:
            due = (activity["due_at"] or "no due date")[:16].replace("T", " ")
            console.print(f"  {due}  {activity['kind']}: {activity['title']}")
    tickets = card.get("tickets", [])
    if tickets:
        console.print(f"[bold]Tickets[/bold] ({len(tickets)})")
        for ticket in tickets:
            console.print(
                f"  {ticket['number']}  {ticket['status']:<8}{ticket['subject']}"
            )
    outreach = card.get("outreach", [])
    if outreach:
        console.print(f"[bold]Outreach[/bold] ({len(outreach)})")
        for row in outreach:
            when = (row["sent_at"] or row["due_at"] or "")[:16].replace("T", " ")
            console.print(f"  {when}  {row['status']:<10}{row['subject']}")
    firings = card.get("rule_firings", [])
    if firings:
        console.print(f"[bold]Rules fired[/bold] ({len(firings)})")
        for firing in firings:
            when = firing["fired_at"][:16].replace("T", " ")
            console.print(f"  {when}  {firing['rule']} ({firing['trigger']})")


def _details(card: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if "addresses" in card:
        for entry in card["addresses"]:
            mark = " (primary)" if entry["primary"] else ""
            rows.append(("address", entry["address"] + mark))
    if card.get("company"):
        rows.append(
            ("company", f"{card['company']['name']} (id {card['company']['id']})")
        )
    for domain in card.get("domains", []):
        rows.append(("domain", domain))
    for contact in card.get("contacts", []):
        rows.append(("contact", f"{contact['name']} <{contact['address']}>"))
    if card.get("owner"):
        rows.append(("owner", card["owner"]))
    for key in ("tags", "phones"):
        if card.get(key):
            rows.append((key, ", ".join(card[key])))
    for key, value in (card.get("custom_fields") or {}).items():
        rows.append((str(key)[:13], str(value)))
    if card.get("notes"):
        rows.append(("notes", card["notes"]))
    return rows


def _when(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "never"
    date = entry["date"][:16].replace("T", " ")
    return f"{date}  {entry['subject'][:60]}  (message {entry['message']})"
