"""Player events ingest: events/s, endpoint latency, and acceptance-to-PostgreSQL lag.

    set -a; PROFILE=test; . infra/env.sh; set +a      # the test stack must be up
    .venv/bin/python bench/events_bench.py [--batches 2000] [--concurrency 32]

Real processes: one ``python -m agents`` worker, the ``python -m agents.recorders`` process,
one then two ``python -m gateway`` processes,
and, as the ceiling, ``bench/bare_endpoint.py`` (aiohttp parsing the same JSON, nothing else).
Batches of 10 events from 50 live playback sessions. Lag is ``stored_at - received_at`` of the
audit rows (PostgreSQL clock vs the gateway's, same host); verdict lag is ``judged_at -
received_at`` of the events the player-events agent found violating (each batch is 9 position
samples and one attempt to play at 4x where 2x is the maximum).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import Settings, load_settings  # noqa: E402
from gateway import playback_tokens as pt  # noqa: E402
from storage.cache import create_redis  # noqa: E402
from storage.live_sessions import LiveSessions  # noqa: E402
from streams import topics  # noqa: E402
from streams.lag import backlog  # noqa: E402
from tests.conftest import AgentsWorker, GatewayProcess, RecorderProcess  # noqa: E402

SESSIONS = 50
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def tokens(settings: Settings, run: str) -> list[str]:
    """Live sessions in the read model, and their playback tokens."""
    redis = create_redis(settings)
    live = LiveSessions(redis)
    out = []
    for i in range(SESSIONS):
        session = f"bench-{run}-{i}"
        await live.open(session, user=f"b{i}", video_id=7, last_seen=time.time() + 3600,
                        idle_seconds=3600)
        claims = pt.PlaybackClaims(tenant="bench", tenant_id=1, user_id=f"b{i}", video_id=7,
                                   enrollment_id=9, device_id="d", session_id=session,
                                   policy={"allow_seek": True, "playback_rate": {"max": 2}})
        out.append(pt.sign(claims, settings.playback_keys(), now=time.time(),
                           ttl_seconds=3600))
    await redis.aclose()
    return out


async def load(urls: list[str], toks: list[str], batches: int, concurrency: int,
               rate: float = 0.0) -> tuple[float, list[float], int]:
    """Send ``batches`` batches of 10 events, as fast as possible or at ``rate`` events/s;
    return (events/s, latencies ms, failures)."""
    latencies: list[float] = []
    failures = 0
    counter = iter(range(batches))
    began = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def worker() -> None:
            nonlocal failures
            for n in counter:
                if rate:
                    # Open-loop arrivals: batch n is due at n / (rate / 10) seconds.
                    await asyncio.sleep(max(0.0, began + n * 10 / rate - time.perf_counter()))
                events = [{"type": "position", "payload": {"position": n * 10 + i, "rate": 1},
                           "occurred_at": time.time()} for i in range(9)]
                # One violation a batch, so the verdict path is measured at every rate.
                events.append({"type": "speed_change_attempt", "payload": {"from": 1, "to": 4},
                               "occurred_at": time.time()})
                body = {"token": toks[n % len(toks)], "events": events}
                started = time.perf_counter()
                async with http.post(urls[n % len(urls)], json=body) as resp:
                    await resp.read()
                    failures += resp.status != 200
                latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return batches * 10 / elapsed, latencies, failures


async def lag(settings: Settings, run: str, expected: int) -> tuple[float, float, int]:
    """p50/p99 of stored_at - received_at (ms) once all rows of the run are stored."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        deadline = time.monotonic() + 120
        while True:
            n = await conn.fetchval("SELECT count(*) FROM playback_events WHERE session_id "
                                    "LIKE $1", f"bench-{run}-%")
            if n >= expected or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        row = await conn.fetchrow(_PERCENTILES.format(column="stored_at", where=""),
                                  f"bench-{run}-%")
        return float(row["p50"] or 0), float(row["p99"] or 0), n
    finally:
        await conn.close()


_PERCENTILES = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, count(*) AS n
FROM (SELECT extract(epoch FROM {column} - received_at) * 1000 AS ms
      FROM playback_events WHERE session_id LIKE $1 {where}) x"""


async def agents_backlog(settings: Settings) -> int:
    """Player events the agents' group has not committed yet (what is still to be judged)."""
    return await backlog(settings.kafka_bootstrap_servers, settings.agents_app_id,
                         topics.PLAYBACK_EVENTS.name)


async def drain(settings: Settings, timeout: float = 180.0) -> float:
    """Wait until the agents have judged every event; return how long that took (s)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout and await agents_backlog(settings) > 0:
        await asyncio.sleep(0.5)
    return time.monotonic() - began


async def verdict_lag(settings: Settings, run: str) -> tuple[float, float, int]:
    """p50/p99 of judged_at - received_at (ms) of the run's violations, once the agents have
    judged every event (and the recorders had a moment to write the last verdicts)."""
    await drain(settings)
    await asyncio.sleep(1.0)
    conn = await asyncpg.connect(settings.database_url)
    try:
        row = await conn.fetchrow(_PERCENTILES.format(column="judged_at", where="AND violated"),
                                  f"bench-{run}-%")
        return float(row["p50"] or 0), float(row["p99"] or 0), int(row["n"])
    finally:
        await conn.close()


@dataclass
class Row:
    """One measured setup."""

    setup: str
    rate: float
    p50: float
    p99: float
    failures: int
    lag_p50: float = float("nan")
    lag_p99: float = float("nan")
    stored: int = 0
    verdict_p50: float = float("nan")
    verdict_p99: float = float("nan")
    verdicts: int = 0


async def scenario(settings: Settings, name: str, urls: list[str], batches: int,
                   concurrency: int, audited: bool, rate: float = 0.0) -> Row:
    run = uuid.uuid4().hex[:8]
    toks = await tokens(settings, run)
    warm_up = min(200, batches)
    await load(urls, toks, warm_up, concurrency)  # warm-up, not measured
    if audited:
        # Start from an idle pipeline: the warm-up's backlog is not the measured run's lag.
        await lag(settings, run, warm_up * 10)
        await drain(settings)
    run = uuid.uuid4().hex[:8]
    toks = await tokens(settings, run)
    achieved, latencies, failures = await load(urls, toks, batches, concurrency, rate)
    row = Row(name, achieved, pct(latencies, 0.5), pct(latencies, 0.99), failures)
    if audited:
        row.lag_p50, row.lag_p99, row.stored = await lag(settings, run, batches * 10)
        row.verdict_p50, row.verdict_p99, row.verdicts = await verdict_lag(settings, run)
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=500.0,
                        help="events/s of the sustained-load scenario (lag under load)")
    parser.add_argument("--rates", default="",
                        help="only sustained runs at these events/s (e.g. 200,400,800), each "
                        "for 20 s on one gateway")
    args = parser.parse_args()
    settings = load_settings(os.environ)
    # 50 sessions at full speed are far beyond a player (and a tenant's default rate limits):
    # the gateways this bench starts measure throughput, so their limits are lifted.
    os.environ.setdefault("TENANT_DEFAULT_RATE_EVENTS_USER_PER_MINUTE", "100000")
    os.environ.setdefault("TENANT_DEFAULT_RATE_EVENTS_TENANT_PER_MINUTE", "10000000")
    tmp = Path(tempfile.mkdtemp(prefix="events-bench-"))
    worker = AgentsWorker(tmp / "agents.log")
    recorders = RecorderProcess(tmp / "recorders.log")
    gateways = [GatewayProcess(free_port(), tmp / f"gw{i}.log") for i in range(2)]
    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_endpoint.py"),
                             str(bare_port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    rows = []
    try:
        worker.wait_ready()
        recorders.wait_ready()
        for g in gateways:
            g.wait_ready()
        path = "/api/v1/media/videos/7/events/"
        await asyncio.sleep(1.0)
        if args.rates:
            for rate in (float(r) for r in args.rates.split(",")):
                rows.append(await scenario(settings, f"1 gateway, {rate:.0f} events/s",
                                           [gateways[0].url + path], int(rate * 2), 16,
                                           audited=True, rate=rate))
                await asyncio.sleep(5.0)
            return print_rows(rows)
        rows.append(await scenario(settings, "bare aiohttp (parse only)",
                                   [f"http://127.0.0.1:{bare_port}{path}"], args.batches,
                                   args.concurrency, audited=False))
        # The sustained run first, on an idle pipeline: a burst leaves work (progress records)
        # queued behind its audit rows, which would be counted as the next run's lag.
        rows.append(await scenario(settings, f"1 gateway, {args.rate:.0f} events/s sustained",
                                   [gateways[0].url + path], args.batches, args.concurrency,
                                   audited=True, rate=args.rate))
        for count in (1, 2):
            rows.append(await scenario(settings, f"{count} gateway(s), as fast as possible",
                                       [g.url + path for g in gateways[:count]], args.batches,
                                       args.concurrency, audited=True))
    finally:
        bare.terminate()
        for g in gateways:
            g.stop()
        worker.stop()
        recorders.stop()
    print_rows(rows)


def print_rows(rows: list[Row]) -> None:
    """The markdown table (ratios against the first row, the ceiling, when it is there)."""
    ceiling = rows[0].rate if rows[0].setup.startswith("bare") else float("nan")
    print("| setup | events/s | vs ceiling | p50 ms | p99 ms | lag p50 ms | lag p99 ms | "
          "stored | non-200 | verdict lag p50 ms | verdict lag p99 ms | verdicts |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r.setup} | {r.rate:.0f} | {r.rate / ceiling:.2f} | {r.p50:.1f} | "
              f"{r.p99:.1f} | {r.lag_p50:.0f} | {r.lag_p99:.0f} | {r.stored} | {r.failures} | "
              f"{r.verdict_p50:.0f} | {r.verdict_p99:.0f} | {r.verdicts} |")


if __name__ == "__main__":
    asyncio.run(main())
