"""Fair share of the transcoder slots between academies (pure: the worker brings the counts).

Jobs sit in Kafka partitions keyed by video, so one academy's backlog of uploads fills every
partition and, left alone, every free slot would keep taking its jobs while another academy's
single upload waits behind them. Before a worker starts a job it looks at who runs and who
waits, across all workers: it *defers* the job (sends it again to the end of the jobs topic,
then commits it) when another academy with a job waiting is served less: fewer transcodes
running, or as many but its last start longer ago. Otherwise it starts the job.

So the next free slot always goes to the least-served academy that waits, a lone academy still
uses every slot (nobody else waits), and running transcodes are never interrupted: an academy
that took every slot while nobody waited keeps them until its jobs end, then alternates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFER_PAUSE_SECONDS = 1.0  # a slot that deferred a job waits this long before its next record


@dataclass(frozen=True, slots=True)
class TenantLoad:
    """What one academy has in the transcoders right now."""

    running: int = 0  # jobs started and not finished, on every worker
    waiting: int = 0  # videos waiting for a transcode that no worker runs
    last_start: float = 0.0  # when its latest job started (epoch seconds; 0: never)


def loads(processing: Mapping[int, int], running: Mapping[int, int],
          last_start: Mapping[int, float]) -> dict[int, TenantLoad]:
    """Per academy: ``processing`` videos (PostgreSQL), ``running`` jobs (the slot registry)."""
    tenants = set(processing) | set(running)
    return {t: TenantLoad(running.get(t, 0), max(0, processing.get(t, 0) - running.get(t, 0)),
                          last_start.get(t, 0.0)) for t in tenants}


def should_defer(tenant: int, load: Mapping[int, TenantLoad]) -> bool:
    """Whether a slot should pass over a job of ``tenant`` for another academy's waiting job."""
    mine = load.get(tenant, TenantLoad())
    served = (mine.running, mine.last_start)
    return any(other != tenant and theirs.waiting > 0
               and (theirs.running, theirs.last_start) < served
               for other, theirs in load.items())
