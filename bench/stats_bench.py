"""Latency of the admin stats page and the video list on a class of 300 students x 50 videos.

Run on the test stack (see docs/benchmarks.md)::

    set -a; PROFILE=test; . infra/env.sh; set +a
    .venv/bin/python bench/stats_bench.py [--requests 300] [--keep]

Builds a fresh tenant through the catalog API (videos, progress and permissions by SQL, as the
player and upload paths would), serves the real gateway app on a local port, sends sequential
requests and prints a markdown table: p50 / p99 latency and SQL statements per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections import Counter
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from config.logs import request_id_var
from config.settings import Settings, load_settings
from gateway import keys
from gateway.app import create_app
from gateway.auth import mint_token
from storage.db import create_pool

STUDENTS = 300
VIDEOS = 50
WARMUP = 20


class StatementLog:
    """Statements the app's pool runs per request id (background loops and resets left out)."""

    def __init__(self) -> None:
        self.by_request: Counter[str] = Counter()
        self._reset = ""

    async def attach(self, pool: asyncpg.Pool) -> None:
        """Log on every connection the pool may hand out (loggers outlive a release)."""
        conns = [await pool.acquire() for _ in range(pool.get_max_size())]
        self._reset = conns[0].get_reset_query()
        for conn in conns:
            conn.add_query_logger(self)
            await pool.release(conn)

    def __call__(self, record: Any) -> None:
        # asyncpg schedules loggers with call_soon, which keeps the running request's context.
        rid = request_id_var.get()
        if rid and record.query != self._reset:
            self.by_request[rid] += 1


async def build_class(http: aiohttp.ClientSession, base: str, db: asyncpg.Pool,
                      slug: str) -> tuple[int, list[int]]:
    """The class through the catalog API, the rest by SQL; (session id, video ids)."""
    async def post(path: str, body: object) -> Any:
        async with http.post(f"{base}/api/v1/catalog/{path}", json=body) as resp:
            assert resp.status == 201, await resp.text()
            return await resp.json()

    lecture = await post("lectures/", {"title": "Bench lecture"})
    session = await post("sessions/", {"lecture": lecture["id"], "title": "Week 1"})
    students = await post("students/", [
        {"user_id": f"s{i}", "name": f"Student {i}", "phone": f"010-{i:04}",
         "parent_phone": f"011-{i:04}", "school": "North", "grade": 10 + i % 3}
        for i in range(STUDENTS)])
    enrollments = await post("enrollments/", [
        {"student": s["id"], "lecture": lecture["id"]} for s in students])
    ids = [e["id"] for e in enrollments]
    await post("session-enrollments/", [{"session": session["id"], "enrollment": e} for e in ids])
    await post("attendance/", [{"session": session["id"], "enrollment": e,
                                "status": ("PRESENT", "LATE", "ABSENT")[i % 3]}
                               for i, e in enumerate(ids) if i % 4])
    tenant_id = await db.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
    videos = [r["id"] for r in await db.fetch(
        "INSERT INTO videos (tenant_id, session_id, title, status, \"order\") "
        "SELECT $1, $2, 'Video ' || n, 'READY', n FROM generate_series(1, $3) AS n RETURNING id",
        tenant_id, session["id"], VIDEOS)]
    # Four in five students have watched some of each video; one in ten has a permission.
    await db.execute(
        """INSERT INTO video_progress (tenant_id, video_id, enrollment_id, progress,
                                       last_position, completed)
           SELECT $1, v, e, p, (p * 600)::int, p >= 0.99
           FROM unnest($2::bigint[]) AS v, unnest($3::bigint[]) AS e,
                LATERAL (SELECT ((v + e) % 101) / 100.0 AS p) AS x
           WHERE (v + e) % 5 <> 0""", tenant_id, videos, ids)
    await db.execute(
        """INSERT INTO video_permissions (tenant_id, video_id, enrollment_id, rule, is_override)
           SELECT $1, v, e, (ARRAY['free', 'once', 'blocked'])[1 + (v + e) % 3], (v % 2) = 0
           FROM unnest($2::bigint[]) AS v, unnest($3::bigint[]) AS e
           WHERE (v * 7 + e) % 10 = 0""", tenant_id, videos, ids)
    return session["id"], videos


async def measure(http: aiohttp.ClientSession, url: str, requests: int,
                  log: StatementLog) -> dict[str, Any]:
    """Sequential GETs after a warm-up: p50/p99 in ms and statements per request."""
    for _ in range(WARMUP):
        async with http.get(url) as resp:
            assert resp.status == 200, await resp.text()
            await resp.read()
    timings = []
    rids = [uuid.uuid4().hex for _ in range(requests)]
    for rid in rids:
        started = time.perf_counter()
        async with http.get(url, headers={"X-Request-ID": rid}) as resp:
            await resp.read()
        timings.append((time.perf_counter() - started) * 1000)
        assert resp.status == 200
    await asyncio.sleep(0.05)  # query loggers run on the next loop turns
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    fewest, most = min(log.by_request[r] for r in rids), max(log.by_request[r] for r in rids)
    return {"p50": statistics.median(timings), "p99": cuts[98], "max": max(timings),
            "statements": str(fewest) if fewest == most else f"{fewest}..{most}"}


async def run(settings: Settings, requests: int, keep: bool) -> None:
    """Build the class, measure both endpoints, print the table, drop the tenant."""
    slug = f"bench-{uuid.uuid4().hex[:10]}"
    token = mint_token(settings.auth_jwt_secret, tenant=slug, sub="bench-admin", role="admin")
    db = await create_pool(settings, max_size=2)
    server = TestServer(create_app(settings))
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            started = time.perf_counter()
            session_id, videos = await build_class(http, base, db, slug)
            print(f"built {STUDENTS} students x {VIDEOS} videos in "
                  f"{time.perf_counter() - started:.1f} s (tenant {slug})\n")
            log = StatementLog()
            await log.attach(server.app[keys.DB])
            video = videos[len(videos) // 2]
            rows = [
                (f"GET /api/v1/media/videos/{{id}}/stats/ ({STUDENTS} students)",
                 await measure(http, f"{base}/api/v1/media/videos/{video}/stats/", requests,
                               log)),
                (f"GET /api/v1/media/videos/?session={{id}} ({VIDEOS} videos)",
                 await measure(http, f"{base}/api/v1/media/videos/?session={session_id}",
                               requests, log)),
            ]
    finally:
        await server.close()
        if not keep:
            await db.execute("DELETE FROM tenants WHERE slug = $1", slug)
        await db.close()
    print("| endpoint | requests | p50 ms | p99 ms | max ms | SQL statements / request |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows:
        print(f"| `{name}` | {requests} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.2f} "
              f"| {r['statements']} |")


def main() -> None:
    """Entry point: settings from the environment (the test stack's infra/env.sh)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests each")
    parser.add_argument("--keep", action="store_true", help="keep the bench tenant's rows")
    args = parser.parse_args()
    asyncio.run(run(load_settings(os.environ), args.requests, args.keep))


if __name__ == "__main__":
    main()
