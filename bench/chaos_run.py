"""One round of a chaos run: a storm, a fault in the middle of it, and the checks after it.

Shared by ``bench/chaos.py`` (every fault, long rounds) and ``tests/chaos`` (a few, short).
Each round has a tenant of its own, so its counts are its own.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from bench.chaos_audit import audit_events, over_limit_grants
from bench.chaos_faults import Fault
from bench.chaos_stack import ChaosStack
from bench.chaos_storm import Classroom, Storm, V, build_classroom

UPLOAD_TIMEOUT = 300.0


@dataclass(frozen=True)
class Timing:
    """Seconds of storm before the fault, the fault's hold, and storm after it heals."""

    warm: float = 8.0
    hold: float = 5.0
    after: float = 15.0


@dataclass(frozen=True)
class Row:
    """What one round measured (one line of the chaos table)."""

    fault: str
    accepted: int
    stored_once: int
    duplicates: int
    missing: int
    over_limit: int
    lost_sessions: int  # heartbeats or event batches told a live session is not live
    answers: dict[str, int]
    failures: dict[str, int]  # answers other than 200/201 by request kind and status
    bad: int  # answers outside 2xx, 409, 429 and 503 + Retry-After
    disrupted_seconds: float  # from the fault until the last failed or slow (> 2 s) request
    recover_seconds: float  # from the heal (process restarted, service back) until then
    caught_up_seconds: float  # from the storm's end until every accepted event was stored
    upload: str  # the round's upload: "READY in N s" or what it ended as

    @property
    def holds(self) -> bool:
        """Accepted = stored exactly once, no over-limit grant, every 5xx a 503 + Retry-After,
        and the round's upload became READY."""
        return (self.stored_once == self.accepted and not self.duplicates and not self.missing
                and not self.over_limit and not self.lost_sessions and not self.bad
                and self.upload.startswith("READY"))


def make_source(path: Path, seconds: int) -> bytes:
    """A small test-pattern clip with a tone (what a teacher uploads, in miniature)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size=640x360:rate=25:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(path)], check=True)
    return path.read_bytes()


async def start_upload(http: aiohttp.ClientSession, base: str, room: Classroom,
                       data: bytes) -> int:
    """presign -> PUT -> complete: the id of a video now waiting for the transcoder."""
    async with http.post(base + V + "presign/", headers=room.admin, json={
            "session": room.session, "filename": "chaos.mp4", "size": len(data)}) as resp:
        assert resp.status == 200, await resp.text()
        plan = await resp.json()
    async with http.put(plan["upload_url"], data=data,
                        headers={"Content-Type": "video/mp4"}) as put:
        assert put.status == 200, await put.text()
    async with http.post(base + V + "complete/", headers=room.admin, json={
            "session": room.session, "title": "chaos", "file_key": plan["file_key"]}) as resp:
        assert resp.status == 201, await resp.text()
        video: int = (await resp.json())["id"]
        return video


async def wait_transcoding(pool: asyncpg.Pool, video: int, timeout: float = 120.0) -> None:
    """Until the transcoder reported progress on ``video`` (so a kill lands mid-job)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = await pool.fetchrow(
            "SELECT status, processing_progress FROM videos WHERE id = $1", video)
        if row and (row["status"] == "PROCESSING" and row["processing_progress"] > 0
                    or row["status"] in ("READY", "FAILED")):
            return
        await asyncio.sleep(0.2)


async def wait_upload(pool: asyncpg.Pool, video: int, since: float) -> str:
    """READY in N s (counted from ``since``), or the status it was left in."""
    deadline = time.monotonic() + UPLOAD_TIMEOUT
    while True:
        status = await pool.fetchval("SELECT status FROM videos WHERE id = $1", video)
        if status == "READY":
            return f"READY in {time.monotonic() - since:.0f} s"
        if status == "FAILED" or time.monotonic() > deadline:
            return str(status)
        await asyncio.sleep(0.5)


async def run_round(stack: ChaosStack, fault: Fault, timing: Timing, clip: bytes,
                    students: int) -> Row:
    """Storm, fault after ``timing.warm``, storm ``timing.after`` past the heal, then check."""
    settings = stack.settings
    urls = stack.gateway_urls()
    async with aiohttp.ClientSession() as http:
        room = await build_classroom(http, urls[0], settings, students)
        video = await start_upload(http, urls[0], room, clip)
    started = time.monotonic()
    storm = Storm(settings, urls, room)
    await storm.start()
    await asyncio.sleep(timing.warm)
    if fault.name == "transcoder":
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
        try:
            await wait_transcoding(pool, video)
        finally:
            await pool.close()
    fault_at = time.monotonic()
    await fault.inject(stack, timing.hold)
    healed_at = time.monotonic()
    await asyncio.sleep(timing.after)
    ledger = await storm.stop()
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        audit = await audit_events(pool, room.tenant, ledger.accepted_marks)
        over = await over_limit_grants(pool, room.tenant)
        upload = await wait_upload(pool, video, started)
    finally:
        await pool.close()
    last = ledger.last_failure(fault_at)
    answers: Counter[str] = ledger.statuses()
    return Row(
        fault=fault.name, accepted=audit.accepted, stored_once=audit.stored_once,
        duplicates=audit.duplicates, missing=audit.missing, over_limit=over,
        lost_sessions=ledger.lost_sessions(), answers=dict(sorted(answers.items())),
        failures=ledger.failures_by_kind(), bad=len(ledger.bad()),
        disrupted_seconds=0.0 if last is None else last - fault_at,
        recover_seconds=0.0 if last is None else max(0.0, last - healed_at),
        caught_up_seconds=audit.caught_up_seconds, upload=upload)


def table(rows: list[Row]) -> str:
    """The rows as a markdown table."""
    out = [("| fault | events accepted | stored once | duplicates | missing "
            "| over-limit grants | live sessions lost | answers | bad | disrupted s "
            "| recovered s after heal | audit caught up s | upload | holds |"),
           "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        answers = " ".join(f"{k}:{v}" for k, v in r.answers.items())
        out.append(f"| {r.fault} | {r.accepted} | {r.stored_once} | {r.duplicates} | "
                   f"{r.missing} | {r.over_limit} | {r.lost_sessions} | {answers} | {r.bad} | "
                   f"{r.disrupted_seconds:.1f} | {r.recover_seconds:.1f} | "
                   f"{r.caught_up_seconds:.1f} | {r.upload} | "
                   f"{'yes' if r.holds else 'NO'} |")
    return "\n".join(out)
