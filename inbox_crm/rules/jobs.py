"""The rules' job source: the sweep (no-reply deadlines, schedules, ticket events).

One agent sweeps at a time (lease `rules`), every [agent] sweep_interval
seconds and once at start, so deadlines that passed while no agent ran fire
then. What fired is recorded, so a sweep never fires anything twice. Each sweep
first takes up edited rule files (the same engine runs the rules on new mail).
"""

from __future__ import annotations

from collections.abc import Iterator

from inbox_crm.agent.jobs import AgentContext, Job, Watch, every
from inbox_crm.rules.hook import configured_engine
from inbox_crm.rules.sweep import sweep

SWEEP_JOB = "rules.sweep"
LEASE = "rules"


def rules_jobs(context: AgentContext) -> Iterator[Job | Watch]:
    """The sweep, unless the rules are switched off."""
    if not context.config.rules.enabled:
        return
    steps = context.steps
    if steps is not None and steps.engine is not None:
        engine = steps.engine
    else:
        engine = configured_engine(context.config, watch=True)
    interval = context.config.agent.sweep_interval

    async def run() -> None:
        engine.refresh()
        sweep(context.database, engine)

    yield Job(
        id=SWEEP_JOB,
        run=run,
        trigger=every(interval),
        lease=LEASE,
        description=f"rules sweep every {interval}s",
        run_at_start=True,
    )
