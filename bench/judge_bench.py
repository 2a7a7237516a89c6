"""How fast one Faust worker judges player events: the verdict path alone, no gateway.

    set -a; PROFILE=test; . infra/env.sh; set +a      # the test stack must be up
    .venv/bin/python bench/judge_bench.py [--events 60000] [--runs 3]

Per run: with no agents worker running, fill ``lecturecast.playback-events.v1`` with N events
of 50 users (9 position samples, then one speed attempt over the maximum, as
``bench/events_bench.py`` sends them); then start ``python -m agents`` and time from its
"Worker ready" until the group has committed every event. Prints events/s per run and the
median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.events_bench import agents_backlog  # noqa: E402
from config.settings import Settings, load_settings  # noqa: E402
from streams import codecs, topics  # noqa: E402
from streams.schemas import PlaybackEventV1  # noqa: E402
from tests.conftest import AgentsWorker  # noqa: E402

USERS = 50


def event(i: int, run: str) -> PlaybackEventV1:
    """The i-th event of a run: user i % 50, a speed attempt every tenth."""
    user, now = i % USERS, time.time()
    sample = i % 10 != 9
    return PlaybackEventV1(
        event_id=str(uuid.uuid4()), tenant="bench", tenant_id=1, user_id=f"j{user}",
        video_id=7, enrollment_id=9, session_id=f"judge-{run}-{user}",
        event_type="POSITION" if sample else "SPEED_CHANGE_ATTEMPT", occurred_at=now,
        received_at=now,
        payload={"position": i // USERS, "rate": 1} if sample else {"from": 1, "to": 4},
        policy={"allow_seek": True, "playback_rate": {"max": 2}})


async def fill(settings: Settings, n: int) -> None:
    """Publish ``n`` events as the gateway would (keyed by user, acks=all)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all",
                                linger_ms=5)
    await producer.start()
    run = uuid.uuid4().hex[:8]
    try:
        for i in range(n):
            e = event(i, run)
            await producer.send(topics.PLAYBACK_EVENTS.name, value=codecs.encode(e),
                                key=topics.user_key(e.tenant, e.user_id))
        await producer.flush()
    finally:
        await producer.stop()


async def one_run(settings: Settings, n: int, logs: Path) -> float:
    """Events/s of one worker draining ``n`` pre-filled events."""
    await fill(settings, n)
    worker = AgentsWorker(logs / f"agents-{uuid.uuid4().hex[:6]}.log")
    try:
        await asyncio.to_thread(worker.wait_ready)
        began = time.monotonic()
        while await agents_backlog(settings) > 0:
            await asyncio.sleep(0.2)
        return n / (time.monotonic() - began)
    finally:
        worker.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=60000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = load_settings(os.environ)
    logs = Path(tempfile.mkdtemp(prefix="judge-bench-"))
    rates = [await one_run(settings, args.events, logs) for _ in range(args.runs)]
    print("runs (events/s):", ", ".join(f"{r:.0f}" for r in rates))
    print(f"median: {statistics.median(rates):.0f} events/s judged by one worker")


if __name__ == "__main__":
    asyncio.run(main())
