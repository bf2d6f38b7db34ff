"""Schedule triggers through the sweep: once per slot, DST and holidays included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_crm.rules.sweep import sweep
from inbox_crm.storage.tracking import Activity, RuleFiring
from tests.rules.world import World

WEEKLY = """\
rules:
  - id: morning-review
    description: a review task every business morning
    trigger:
      schedule: {cron: "0 9 * * mon-fri", business_days_only: true}
    when:
      time.weekday: {in: [mon, tue, wed, thu, fri]}
    actions:
      - activity:
          kind: task
          title: "Review the pipeline ({{ now }})"
          due: 4 business hours
          assignee: maya
"""


def titles(world: World) -> list[str]:
    return [activity.title for activity in world.rows(Activity)]


def test_a_new_schedule_does_not_fire_for_slots_before_it_existed(
    world: World,
) -> None:
    world.rule_file("review.yaml", WEEKLY)
    start = datetime(2026, 11, 2, 12, tzinfo=UTC)

    assert sweep(world.database, world.engine, start).slots == 0
    assert titles(world) == []


def test_each_business_morning_fires_once_across_dst_and_holidays(
    world: World,
) -> None:
    world.rule_file("review.yaml", WEEKLY)
    # Friday 23 October 2026; clocks go back on Sunday the 25th.
    moment = datetime(2026, 10, 23, 12, tzinfo=UTC)
    sweep(world.database, world.engine, moment)
    # Sweep every 30 minutes for eleven days, the way a scheduler would.
    for _ in range(11 * 48):
        moment += timedelta(minutes=30)
        sweep(world.database, world.engine, moment)

    assert titles(world) == [
        "Review the pipeline (2026-10-26 09:00)",
        "Review the pipeline (2026-10-27 09:00)",
        "Review the pipeline (2026-10-28 09:00)",
        "Review the pipeline (2026-10-29 09:00)",
        "Review the pipeline (2026-10-30 09:00)",
        "Review the pipeline (2026-11-02 09:00)",
        "Review the pipeline (2026-11-03 09:00)",
    ]
    first = world.rows(Activity)[0]
    assert first.due_at == datetime(2026, 10, 26, 12, 0, tzinfo=UTC)  # 13:00 CET


def test_a_public_holiday_is_skipped_with_business_days_only(world: World) -> None:
    world.rule_file("review.yaml", WEEKLY)
    before = datetime(2026, 12, 23, 12, tzinfo=UTC)
    sweep(world.database, world.engine, before)

    sweep(world.database, world.engine, before + timedelta(days=6))

    assert titles(world) == [
        "Review the pipeline (2026-12-24 09:00)",
        "Review the pipeline (2026-12-28 09:00)",
        "Review the pipeline (2026-12-29 09:00)",
    ]


def test_a_late_sweep_catches_up_and_a_repeat_adds_nothing(world: World) -> None:
    world.rule_file("review.yaml", WEEKLY)
    start = datetime(2026, 11, 2, 12, tzinfo=UTC)
    sweep(world.database, world.engine, start)

    later = start + timedelta(days=2)
    assert sweep(world.database, world.engine, later).slots == 2
    assert sweep(world.database, world.engine, later).slots == 0
    keys = [firing.trigger_key for firing in world.rows(RuleFiring)]
    assert keys == ["schedule:2026-11-03T09:00", "schedule:2026-11-04T09:00"]
