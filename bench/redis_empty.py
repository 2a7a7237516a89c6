"""Redis restarted empty: what live sessions' heartbeats see, and how long until it is over.

    set -a; PROFILE=test; . infra/env.sh; set +a      # the test stack must be up
    .venv/bin/python bench/redis_empty.py [--users 200] [--concurrency 16] [--no-restart]

Starts one ``python -m agents`` worker and one ``python -m gateway`` (as bench/playback_bench.py
does), gives ``--users`` students a live session each, then measures one heartbeat per user
with ``--concurrency`` in flight, in phases:

1. ``hit``: the read model is intact (one Redis call per heartbeat);
2. ``miss``: right after a FLUSHALL, every heartbeat finds no entry and asks the session actor,
   which writes the entry back;
3. ``hit again``: the entries written back serve the next round;
4. ``sweep``: a FLUSHALL and no request at all: how long until the worker's sweep timer has
   written every live session back (it notices the loss on its next 15 s tick);
5. ``restart`` (unless ``--no-restart``): the slot's redis-server stopped (heartbeats answer
   503 meanwhile) and started again empty by ``infra/stack.sh start test``, then one round.

Prints one row per phase: answers by status, p50/p99/max latency, and for the miss phases the
seconds from the loss to the last user's 200.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import aiohttp

from bench.playback_bench import (
    Bench,
    Request,
    bearer,
    build_class,
    fire,
    start_gateway,
    worker_data_dir,
)
from config.settings import Settings, load_settings
from gateway import playback_tokens
from storage import keys
from storage.cache import create_redis
from tests.conftest import ROOT, AgentsWorker
from tests.http.playback_fixtures import flush_redis

REDIS_PID = ROOT / ".infra" / "test" / "pids" / "redis.pid"


def row(phase: str, seconds: float, timings: list[float], failed: Counter[str], users: int,
        recovered: float | None = None) -> None:
    ok = users - sum(failed.values())
    p = statistics.quantiles(timings, n=100) if len(timings) > 1 else [0.0] * 99
    extra = f" | {recovered:.2f} s" if recovered is not None else " | "
    print(f"| {phase} | {ok} | {dict(failed) or ''} | {p[49]:.1f} | {p[98]:.1f} | "
          f"{max(timings, default=0):.1f} | {seconds:.2f}{extra} |")


async def entries_back(settings: Settings, sessions: list[str]) -> int:
    client = create_redis(settings)
    try:
        async with client.pipeline(transaction=False) as pipe:
            for s in sessions:
                pipe.exists(keys.live_session(s))
            return sum(await pipe.execute())
    finally:
        await client.aclose()


async def measure(settings: Settings, bench: Bench, base: str, args: argparse.Namespace,
                  worker_ready: float) -> None:
    users = len(bench.enrollments)
    await bench.warm_up([base], args)
    sessions = [playback_tokens.verify(t, settings.playback_keys(), now=time.time()).session_id
                for _, t in bench.tokens.values()]
    beat = bench.heartbeat_request([base])
    print("| phase | 200 | not 200 | p50 ms | p99 ms | max ms | round s | loss to last 200 |")
    print("|---|---|---|---|---|---|---|---|")
    row("hit", *await fire(users, args.concurrency, beat), users)
    await flush_redis(settings)
    lost = time.perf_counter()
    seconds, timings, failed = await fire(users, args.concurrency, beat)
    row("miss (after FLUSHALL)", seconds, timings, failed, users, time.perf_counter() - lost)
    row("hit again", *await fire(users, args.concurrency, beat), users)
    # The worker sets its mark on its first sweep tick (15 s after it starts).
    await asyncio.sleep(max(0.0, worker_ready + 16 - time.monotonic()))
    await flush_redis(settings)
    lost = time.perf_counter()
    while (back := await entries_back(settings, sessions)) < users:
        if time.perf_counter() - lost > 60:
            print(f"| sweep | only {back} of {users} entries back after 60 s |")
            break
        await asyncio.sleep(0.1)
    else:
        print(f"| sweep (FLUSHALL, no request) | {users} entries back | | | | | | "
              f"{time.perf_counter() - lost:.2f} s |")
    if args.restart:
        await restart(beat, users, args)


async def restart(beat: Callable[[int], Request], users: int, args: argparse.Namespace) -> None:
    pid = int(REDIS_PID.read_text())
    os.kill(pid, 15)
    while Path(f"/proc/{pid}").exists():
        await asyncio.sleep(0.05)
    REDIS_PID.unlink(missing_ok=True)
    down = time.perf_counter()
    row("Redis down", *await fire(users, args.concurrency, beat), users)
    await asyncio.to_thread(start_stack)
    up = time.perf_counter()
    seconds, timings, failed = await fire(users, args.concurrency, beat)
    row(f"restarted empty (down {up - down:.1f} s)", seconds, timings, failed, users,
        time.perf_counter() - up)


def start_stack() -> None:
    """``infra/stack.sh start test``: starts what is down (here: Redis, empty)."""
    subprocess.run(["bash", str(ROOT / "infra" / "stack.sh"), "start", "test"], check=True,
                   capture_output=True, env={**os.environ, "PROFILE": "test"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-restart", dest="restart", action="store_false")
    args = parser.parse_args()
    args.heartbeat_concurrency = args.concurrency  # what Bench.warm_up reads
    settings = load_settings(os.environ)
    logs = Path(tempfile.mkdtemp(prefix="redis-empty-bench-"))
    slug = f"bench-{uuid.uuid4().hex[:10]}"
    worker = AgentsWorker(logs / "worker.log", extra_env={
        "AGENTS_DATA_DIR": str(worker_data_dir(logs / "faust"))})
    gateway = None
    try:
        gateway = start_gateway(logs)
        worker.wait_ready()
        ready = time.monotonic()
        print(f"worker and gateway ready (logs in {logs}); {args.users} users\n")

        async def run() -> None:
            async with aiohttp.ClientSession() as http:
                video, enrollments = await build_class(
                    http, gateway.url, bearer(settings, slug, "admin", "bench-admin"),
                    args.users)
            await measure(settings, Bench(settings, slug, video, enrollments), gateway.url,
                          args, ready)

        asyncio.run(run())
    finally:
        if gateway is not None:
            gateway.stop()
        worker.stop()
        if not REDIS_PID.exists():  # never leave the slot without its Redis
            start_stack()


if __name__ == "__main__":
    main()
