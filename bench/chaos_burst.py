"""A burst: thousands of requests in flight at once against one gateway process.

Students with live sessions fire event batches, heartbeats and plays all at once, as a class
start or a school's NAT does. What must hold: every answer is 200, 409, 429 or 503 with
Retry-After; every event answered 200 is stored exactly once; and the gateway's latency is back
to normal within seconds of the burst.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import aiohttp
import asyncpg

from bench.chaos_audit import AuditResult, audit_events
from bench.chaos_stack import ChaosStack
from bench.chaos_storm import Classroom, V, bearer, build_classroom
from config.settings import Settings

ALLOWED = {200, 409, 429}


@dataclass(frozen=True)
class BurstResult:
    """What one burst measured."""

    requests: int
    answers: dict[str, int]  # "kind status" -> count
    bad: int  # not 200/409/429, nor 503 with Retry-After
    audit: AuditResult
    burst_seconds: float  # from the first request sent to the last answer
    shed_p99_ms: float  # how fast the 503s came
    baseline_ms: float  # median heartbeat before the burst, one at a time
    recovered_seconds: float  # after the burst, until 5 heartbeats in a row are normal again


async def _plays(http: aiohttp.ClientSession, base: str, settings: Settings, room: Classroom
                 ) -> list[str]:
    """One live session per student: their playback tokens."""
    tokens = []
    for i, enrollment in enumerate(room.enrollments):
        headers = bearer(settings, room.tenant, "student", f"u{i}")
        async with http.post(f"{base}{V}{room.video}/play/", headers=headers, json={
                "enrollment_id": enrollment, "device_id": f"d{i}"}) as resp:
            assert resp.status == 200, await resp.text()
            tokens.append((await resp.json())["token"])
    return tokens


async def _heartbeat_ms(http: aiohttp.ClientSession, url: str, token: str,
                        headers: dict[str, str]) -> float:
    started = time.perf_counter()
    async with http.post(url, json={"token": token}, headers=headers) as resp:
        await resp.read()
        assert resp.status == 200, resp.status
    return (time.perf_counter() - started) * 1000


async def burst_round(stack: ChaosStack, requests: int = 2000, students: int = 100
                      ) -> BurstResult:
    """Fire ``requests`` at the first gateway at once: half event batches, three in eight
    heartbeats, one in eight plays (each replacing its student's session)."""
    settings = stack.settings
    base = stack.gateway_urls()[0]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=60)) as http:
        room = await build_classroom(http, base, settings, students)
        tokens = await _plays(http, base, settings, room)
        heads = [bearer(settings, room.tenant, "student", f"u{i}") for i in range(students)]
        beat = f"{base}{V}{room.video}/heartbeat/"
        baseline = statistics.median(
            [await _heartbeat_ms(http, beat, tokens[0], heads[0]) for _ in range(30)])
        answers: Counter[str] = Counter()
        accepted: set[str] = set()
        shed_ms: list[float] = []
        bad = 0
        now = time.time()

        async def one(n: int) -> None:
            nonlocal bad
            i = n % students
            kind = ("events", "heartbeat", "events", "play", "events", "heartbeat", "events",
                    "heartbeat")[n % 8]
            body: dict[str, object] = {"token": tokens[i]}
            if kind == "events":
                marks = [f"{room.tenant}/b{n}/{k}" for k in range(5)]
                body.update(batch_id=f"b{n}", events=[
                    {"type": "FOCUS_GAINED", "occurred_at": now, "payload": {"mark": m}}
                    for m in marks])
            elif kind == "play":
                body = {"enrollment_id": room.enrollments[i], "device_id": f"d{i}"}
            started = time.perf_counter()
            async with http.post(f"{base}{V}{room.video}/{kind}/", json=body,
                                 headers=heads[i]) as resp:
                await resp.read()
                answers[f"{kind} {resp.status}"] += 1
                if resp.status == 503 and "Retry-After" in resp.headers:
                    shed_ms.append((time.perf_counter() - started) * 1000)
                elif resp.status not in ALLOWED:
                    bad += 1
                elif resp.status == 200 and kind == "events":
                    accepted.update(marks)

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(requests)))
        burst_seconds = time.perf_counter() - started
        # Normal again: five heartbeats in a row within twice the baseline plus 5 ms. The token
        # of student 0 may have been replaced by the burst's plays: take a fresh one.
        token = (await _plays(http, base, settings, Classroom(
            room.tenant, room.admin, room.video, room.enrollments[:1], room.session)))[0]
        ended = time.perf_counter()
        good = 0
        while good < 5 and time.perf_counter() - ended < 60:
            ok = await _heartbeat_ms(http, beat, token, heads[0]) <= 2 * baseline + 5
            good = good + 1 if ok else 0
        recovered = time.perf_counter() - ended
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        audit = await audit_events(pool, room.tenant, accepted)
    finally:
        await pool.close()
    shed_ms.sort()
    return BurstResult(
        requests=requests, answers=dict(sorted(answers.items())), bad=bad, audit=audit,
        burst_seconds=burst_seconds,
        shed_p99_ms=shed_ms[int(len(shed_ms) * 0.99)] if shed_ms else 0.0,
        baseline_ms=baseline, recovered_seconds=recovered)
