"""The probes of ``bench/hostile.py``: one per finding of issue 11, each a list of lines.

Every probe acts as the attacker of its finding would (a student's player, a beacon, a manager
of their own tenant) through the real gateway, and reads the outcome where the academy would:
PostgreSQL rows, Kafka topics, the CDN. Nothing here asserts; a line says whether it holds.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson

from config.settings import Settings
from gateway.auth import Role, mint_token
from storage.object_keys import hls_prefix
from storage.objects import open_object_store
from streams import topics
from streams.publisher import Publisher
from streams.schemas import PlaybackEventV1
from streams.tail import messages

V = "/api/v1/media/videos/"


@dataclass
class Line:
    """One thing tried, what came back, and whether that is what must hold."""

    tried: str
    got: str
    holds: bool

    def __str__(self) -> str:
        return f"{'holds ' if self.holds else 'BROKEN'}  {self.tried}: {self.got}"


@dataclass
class Target:
    """The tenant the probes attack, and the connections they use."""

    base: str
    tenant: str
    admin: dict[str, str]
    students: list[dict[str, str]]
    enrollments: list[int]
    video: int
    session: int
    secret: str
    settings: Settings = None  # type: ignore[assignment]
    db: asyncpg.Pool = None  # type: ignore[assignment]
    http: aiohttp.ClientSession = None  # type: ignore[assignment]
    logs: Path = None  # type: ignore[assignment]
    recorders: Any = None
    cookie_ttl: int = 4  # CDN_COOKIE_TTL_SECONDS of the probed gateway

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any, Any]:
        """(status, JSON or text body, headers) of one request."""
        async with self.http.request(method, self.base + path, **kw) as resp:
            body: Any = await resp.text()
            if resp.content_type == "application/json":
                body = await resp.json()
            return resp.status, body, resp.headers

    async def play(self, student: int = 0) -> dict[str, Any]:
        """A granted session of the student (one device: each probe ends its sessions)."""
        status, body, _ = await self.call(
            "POST", f"{V}{self.video}/play/", headers=self.students[student],
            json={"enrollment_id": self.enrollments[student], "device_id": "probe-laptop"})
        assert status == 200, (status, body)
        return dict(body)

    async def end(self, token: str, student: int = 0) -> int:
        status, _, _ = await self.call("POST", f"{V}{self.video}/end/",
                                       headers=self.students[student], json={"token": token})
        return status

    async def events(self, token: str, events: list[dict[str, Any]],
                     batch_id: str = "") -> tuple[int, Any]:
        status, body, _ = await self.call("POST", f"{V}{self.video}/events/", json={
            "token": token, "events": events, "batch_id": batch_id})
        return status, body

    async def watched(self, student: int) -> float:
        """The student's stored covered seconds of the video (0 without a row)."""
        value = await self.db.fetchval(
            "SELECT watched_seconds FROM video_progress WHERE enrollment_id = $1 AND video_id = $2",
            self.enrollments[student], self.video)
        return float(value or 0.0)


async def settle(seconds: float = 5.0) -> None:
    """Give the agents and the recorders time to pass a message on."""
    await asyncio.sleep(seconds)


def short(body: Any) -> str:
    """A response body cut to one readable line."""
    text = str(body)
    return text if len(text) <= 100 else text[:97] + "..."


def sample(position: float, at: float) -> dict[str, Any]:
    return {"type": "POSITION", "occurred_at": at, "payload": {"position": position, "rate": 1}}


async def until(check: Callable[[], Awaitable[bool]], timeout: float) -> float | None:
    """Seconds until ``check`` held, or None if it never did within ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(0.25)
    return None


async def dead_letters(settings: Settings) -> list[str]:
    """Every dead letter so far: its reason and original message, as text."""
    letters: list[str] = []
    spec = getattr(topics, "DEAD_LETTERS", None)  # a tree before issue 11 had none
    if spec is None:
        return letters
    async for m in messages(settings.kafka_bootstrap_servers, spec.name):
        letter = m["value"]
        original = base64.b64decode(letter["value"] or "").decode(errors="replace")
        letters.append(f"{letter['reason_class']}: {letter['reason']} {original}")
    return letters


async def poison_stops_nothing(t: Target) -> list[Line]:
    play = await t.play()
    status, body = await t.events(play["token"], [{"type": "PAUSE", "occurred_at": 1e12}])
    lines = [Line("events/ with occurred_at 1e12", f"{status} {short(body)}", status == 400)]
    # As an older gateway (or a bug) would have published it: the consumer must survive it.
    poison = PlaybackEventV1(
        event_id=str(uuid.uuid4()), tenant=t.tenant, tenant_id=0, user_id="stu-0",
        video_id=t.video, enrollment_id=t.enrollments[0], session_id=play["session_id"],
        event_type="PAUSE", occurred_at=1e12, received_at=time.time(), payload={},
        policy={}, batch_id="", duration=600.0, rules={})
    publisher = await Publisher.start(t.settings, client_id="hostile-probe")
    try:
        await publisher.publish(topics.PLAYBACK_EVENTS, [(topics.user_key(t.tenant, "stu-0"),
                                                          poison)])
    finally:
        await publisher.stop()
    status, _ = await t.events(play["token"], [{"type": "PLAY_START"}])
    stored = await until(lambda: _exists(t, play["session_id"], "PLAY_START"), 30)
    lines.append(Line("a poison event on the topic, then an honest batch",
                      f"honest batch {status}, stored after "
                      f"{'never' if stored is None else f'{stored:.1f} s'}; recorders "
                      f"{'alive' if t.recorders.process.poll() is None else 'DEAD'}",
                      stored is not None and t.recorders.process.poll() is None))
    letters = await dead_letters(t.settings)
    hit = next((letter for letter in letters if poison.event_id in letter), None)
    lines.append(Line("the poison event", f"dead-lettered, {short(hit.split(' {')[0])}"
                      if hit else "not dead-lettered", hit is not None))
    await t.end(play["token"])
    return lines


async def _exists(t: Target, session_id: str, event_type: str) -> bool:
    return bool(await t.db.fetchval(
        "SELECT count(*) FROM playback_events WHERE session_id = $1 AND event_type = $2",
        session_id, event_type))


async def forged_coverage(t: Target) -> list[Line]:
    play = await t.play()
    t0 = time.time()
    forged = [sample(30.0 * i, t0 + 30.0 * i) for i in range(100)]
    status, _ = await t.events(play["token"], forged)
    await settle()
    first, first_elapsed = await t.watched(0), time.time() - t0
    await t.end(play["token"])
    play = await t.play()  # a new session: its samples pair only with each other
    now = time.time()
    within = [sample(float(i), now + i) for i in range(60)]  # inside the occurred_at window
    status2, _ = await t.events(play["token"], within)
    await settle()
    watched = await t.watched(0) - first  # the budget restarts with each session
    lines = [Line("100 samples 30 s apart in occurred_at (the finding)",
                  f"{status}; credited {first:.1f} s in {first_elapsed:.1f} s",
                  first <= 1.0 + 0.1),
                 Line("a new session's first request: 60 samples 1 s apart, within 60 s ahead",
                      f"{status2}; credited {watched:.1f} s", watched <= 1.0 + 0.1)]
    await t.end(play["token"])
    play = await t.play(1)
    start, position = time.time(), 0.0
    while time.time() - start < 15:
        position += 2.0  # every second, 2 s further: within max_rate x wall + 1 s per pair
        await t.events(play["token"], [sample(position, time.time())])
        await asyncio.sleep(1.0)
    elapsed = time.time() - start
    await settle()
    watched = await t.watched(1)
    # Some credit must come (the recorders store progress), never more than the clock paid.
    lines.append(Line(f"short skips (2 s of video per 1 s) for {elapsed:.0f} s at max rate 1x",
                      f"credited {watched:.1f} s", 0 < watched <= elapsed + 1.0 + 0.1))
    await t.end(play["token"], 1)
    return lines


async def hidden_session(t: Target) -> list[Line]:
    lines = []
    for device in ("laptop\x00hidden", "\x1b[31mred", "x" * 10_000):
        status, body, _ = await t.call("POST", f"{V}{t.video}/play/", headers=t.students[0],
                                       json={"enrollment_id": t.enrollments[0],
                                             "device_id": device})
        if status == 200:  # a hidden session would hold the stream slot the others need
            await t.end(body["token"])
        lines.append(Line(f"play/ with device_id {device[:20]!r}", f"{status} {short(body)}",
                          status == 400))
    for name in ("search", "user", "session_id", "status"):
        status, body, _ = await t.call("GET", f"/api/v1/media/playback-sessions/?{name}=a%00b",
                                       headers=t.admin)
        lines.append(Line(f"playback-sessions/?{name}= with a NUL", f"{status} {short(body)}",
                          400 <= status < 500))
    status, body, _ = await t.call("GET", f"{V}?page={10**30}", headers=t.admin)
    lines.append(Line("videos/?page=10**30", f"{status} {short(body)}", 400 <= status < 500))
    nested: Any = "deep"
    for _ in range(500):
        nested = [nested]
    status, body, _ = await t.call("POST", "/api/v1/catalog/lectures/", headers=t.admin,
                                   json={"title": nested})
    lines.append(Line("a body nested 500 levels deep", f"{status} {short(body)}",
                      400 <= status < 500))
    return lines


async def database_incident(t: Target) -> list[Line]:
    play = await t.play()
    admin = await asyncpg.connect(t.settings.database_url)
    try:
        await admin.execute("ALTER DATABASE lecturecast SET default_transaction_read_only = on")
        await _drop_connections(admin)
        statuses = Counter()
        for batch in range(2):
            status, _ = await t.events(play["token"], [{"type": "PLAY_START"}] * 10,
                                       batch_id=f"incident-{batch}")
            statuses[status] += 1
        await settle(6)
        during = await _count(t, play["session_id"])
        alive = t.recorders.process.poll() is None
        await admin.execute("ALTER DATABASE lecturecast RESET default_transaction_read_only")
        await _drop_connections(admin)
    finally:
        await admin.close()
    caught_up = await until(lambda: _is(t, play["session_id"], 20), 60)
    after = await _count(t, play["session_id"])
    letters = await dead_letters(t.settings)
    lost = sum(play["session_id"] in text for text in letters)
    await t.end(play["token"])
    return [Line("20 events while PostgreSQL is read-only (25006) for 6 s",
                 f"answers {dict(statuses)}; rows meanwhile {during}; recorders "
                 f"{'alive' if alive else 'DEAD'}", during == 0 and alive),
            Line("after the database is writable again",
                 f"{after} rows of 20 (caught up in "
                 f"{'never' if caught_up is None else f'{caught_up:.1f} s'}), "
                 f"{lost} dead-lettered", after == 20 and lost == 0)]


async def _drop_connections(admin: asyncpg.Connection) -> None:
    """Every other session ends: their pools reconnect and get the new default."""
    await admin.execute("""SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                           WHERE datname = current_database() AND pid <> pg_backend_pid()""")


async def _count(t: Target, session_id: str) -> int:
    conn = await asyncpg.connect(t.settings.database_url)  # the pool's were just dropped
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM playback_events WHERE session_id = $1", session_id))
    finally:
        await conn.close()


async def _is(t: Target, session_id: str, count: int) -> bool:
    try:
        return await _count(t, session_id) == count
    except (OSError, asyncpg.PostgresError):
        return False


async def flood(t: Target) -> list[Line]:
    play = await t.play()
    gate = asyncio.Semaphore(50)

    async def beat() -> tuple[int, bool]:
        async with gate:
            status, _, headers = await t.call("POST", f"{V}{t.video}/heartbeat/",
                                              headers=t.students[0],
                                              json={"token": play["token"]})
            return status, "Retry-After" in headers
    answers = await asyncio.gather(*(beat() for _ in range(300)))
    by_status = Counter(status for status, _ in answers)
    retry = all(has for status, has in answers if status == 429)
    lines = [Line("300 heartbeats at once from one session", f"{dict(by_status)}, "
                  f"Retry-After on every 429: {retry}",
                  by_status[429] > 0 and retry and not any(s >= 500 for s in by_status))]
    await asyncio.sleep(61)  # the flood's windows pass
    for size in (5 * 1024, 1024 * 1024):
        status, body = await t.events(play["token"], [
            {"type": "PAUSE", "payload": {"note": "x" * size}}])
        lines.append(Line(f"one event with a {size // 1024} KiB payload",
                          f"{status} {short(body)}", 400 <= status < 500))
    await t.end(play["token"])
    return lines + await _state_growth(t)


async def _state_growth(t: Target) -> list[Line]:
    """Alternating forward/backward samples used to grow the judge's state ~1 KB a request."""
    play = await t.play(1)
    sent = Counter()
    base = 0.0
    for i in range(150):
        base += 3.0
        now = time.time()
        status, _ = await t.events(play["token"], [sample(base, now - 0.4),
                                                   sample(base + 0.3, now)])
        sent[status] += 1
        await asyncio.sleep(0.05)
    await settle()
    key = topics.user_key(t.tenant, "stu-1").decode()
    sizes = [len(orjson.dumps(m["value"])) async for m in messages(
        t.settings.kafka_bootstrap_servers, topics.PROGRESS.name) if m["key"] == key]
    await t.end(play["token"], 1)
    return [Line("150 requests of disjoint forward/backward samples",
                 f"answers {dict(sent)}; {len(sizes)} progress messages, the largest "
                 f"{max(sizes, default=0)} bytes", 0 < max(sizes, default=0) < 64 * 1024)]


async def _upload(t: Target, name: str, data: bytes, declared: int | None = None
                  ) -> tuple[int, int, Any]:
    """presign (declaring ``declared`` bytes) -> PUT ``data`` -> complete: statuses and video."""
    _, presigned, _ = await t.call("POST", V + "presign/", headers=t.admin, json={
        "session": t.session, "filename": name, "size": declared or len(data)})
    async with t.http.put(presigned["upload_url"], data=data,
                          headers={"Content-Type": "video/mp4"}) as put:
        put_status = put.status
    status, video, _ = await t.call("POST", V + "complete/", headers=t.admin, json={
        "session": t.session, "title": name, "file_key": presigned["file_key"]})
    return put_status, status, video


async def _final(t: Target, video_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while True:
        _, video, _ = await t.call("GET", f"{V}{video_id}/", headers=t.admin)
        if video["status"] in ("READY", "FAILED") or time.monotonic() > deadline:
            return dict(video)
        await asyncio.sleep(1)


async def transcoder_inputs(t: Target) -> list[Line]:
    segment = t.logs / "victim" / "seg_00001.ts"
    segment.parent.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-f", "mpegts", str(segment))
    await proc.wait()
    lines = []
    for what, body in (
            ("an 'mp4' that is an HLS playlist of a local .ts",
             f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile://{segment}\n#EXT-X-ENDLIST\n"),
            ("an 'mp4' that is an ffconcat list of /etc/hostname",
             "ffconcat version 1.0\nfile /etc/hostname\n")):
        _, status, video = await _upload(t, "lecture.mp4", body.encode())
        if status != 201:
            lines.append(Line(what, f"complete/ {status} {video}", 400 <= status < 500))
            continue
        final = await _final(t, int(video["id"]))
        lines.append(Line(what, f"{final['status']}: {final.get('error_reason', '')!r}",
                          final["status"] == "FAILED"))
    put, status, body = await _upload(t, "big.mp4", b"\0" * 5000, declared=1000)
    lines.append(Line("presign 1,000 bytes, PUT 5,000", f"PUT {put}, complete/ {status} "
                      f"{str(body)[:80]}", put != 200 or status == 400))
    return lines


async def lesser(t: Target) -> list[Line]:
    play = await t.play()
    await t.events(play["token"], [sample(1.0, time.time())], batch_id="resend-me")
    await t.events(play["token"], [sample(999.0, time.time())], batch_id="resend-me")
    await settle()
    payloads = await t.db.fetch(
        "SELECT event_payload FROM playback_events WHERE session_id = $1 AND "
        "event_type = 'POSITION'", play["session_id"])
    kept = [str(r["event_payload"]) for r in payloads]
    lines = [Line("the same batch_id re-sent with another payload", f"stored {kept}",
                  len(kept) == 1 and "999" not in kept[0])]
    await t.end(play["token"])
    lines += await _cookies_after_end(t)
    old = mint_token(t.secret, tenant=t.tenant, sub="stu-0", role=Role.STUDENT,
                     ttl_seconds=100 * 365 * 86400)
    status, _, _ = await t.call("GET", "/api/v1/media/my-videos/",
                                headers={"Authorization": f"Bearer {old}"})
    lines.append(Line("a 100-year bearer token", f"{status}", status == 401))
    _, listed, _ = await t.call("GET", V, headers=t.students[0])
    generic = ("", "The video could not be processed.")
    exposed = [(v["file_key"], v.get("error_reason")) for v in listed.get("results", [])
               if v.get("file_key") or v.get("error_reason") not in generic]
    lines.append(Line("a student lists videos", f"file_key/error_reason shown: {exposed}",
                      not exposed))
    status, page, _ = await t.call("GET", "/api/v1/catalog/students/?page_size=1",
                                   headers={**t.admin, "Host": "evil.example"})
    lines.append(Line("a list with Host: evil.example", f"next={page.get('next')!r}",
                      "evil" not in str(page.get("next"))))
    status, ready, _ = await t.call("GET", "/readyz")
    lines.append(Line("/readyz (anonymous)", f"{status} {ready}",
                      set(ready.get("checks", {}).values()) <= {"ok", "error", "timeout"}))
    return lines


async def _cookies_after_end(t: Target) -> list[Line]:
    path = f"/hls/videos/{t.video}/720p/seg_00001.ts"
    async with open_object_store(t.settings) as store:
        await store.put(hls_prefix(t.video) + "720p/seg_00001.ts", b"\x47" * 188 * 4)
    async with t.http.post(f"{t.base}{V}{t.video}/play/", headers=t.students[0], json={
            "enrollment_id": t.enrollments[0], "device_id": "probe-laptop"}) as resp:
        play = await resp.json()
        kept = {name: m.value for name, m in resp.cookies.items()
                if name.startswith("CloudFront-")}  # the copy an attacker keeps
    cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in kept.items())}
    before, _, _ = await t.call("GET", path, headers=cookie)
    await t.end(play["token"])
    await asyncio.sleep(t.cookie_ttl + 1.5)
    after, _, _ = await t.call("GET", path, headers=cookie)
    return [Line(f"a kept copy of the CDN cookies, {t.cookie_ttl + 1.5:.1f} s after end/",
                 f"segment {before} while live, {after} after", before == 200 and after == 403)]


Probe = Callable[[Target], Awaitable[list[Line]]]
PROBES: dict[int, tuple[str, Probe]] = {
    1: ("One event stops the recorders for all tenants", poison_stops_nothing),
    2: ("Coverage and completion can be forged", forged_coverage),
    3: ("A student can hide a live session from managers", hidden_session),
    4: ("A database incident silently loses rows", database_incident),
    5: ("Unbounded growth", flood),
    6: ("An upload reads the transcoder's disk", transcoder_inputs),
    7: ("Lesser ones", lesser),
}
