"""The mixed storm of a chaos run: students playing, beating and sending events, and a ledger.

Each student plays from one device, then beats and sends event batches; now and then they try
a second device, which the limit of one stream must refuse while the first lives. A batch the
gateway did not answer 200 is re-sent with the same ``batch_id`` (same event ids) until it is, or
until the session is gone; a batch is never re-sent under another session. Every event carries
a mark in its payload, so the audit check counts rows per mark: an accepted mark must be stored
exactly once.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from config.settings import Settings
from gateway.auth import mint_token

V = "/api/v1/media/videos/"
# Limits high enough that the rate limiter does not hide what the faults do.
HIGH_RATES = {"rate_heartbeat_user_per_minute": 100_000,
              "rate_heartbeat_tenant_per_minute": 10_000_000,
              "rate_events_user_per_minute": 100_000,
              "rate_events_tenant_per_minute": 10_000_000,
              "rate_play_user_per_minute": 100_000,
              "rate_play_tenant_per_minute": 10_000_000}
EVENTS_PER_BATCH = 5
ROUND_SECONDS = 0.25
TIMEOUT = aiohttp.ClientTimeout(total=15)
NO_CONNECTION = 0  # the "status" of a request no gateway took (refused, reset)
TIMED_OUT = -1  # the "status" of a request left unanswered for TIMEOUT
SLOW_SECONDS = 2.0
SESSION_KINDS = ("heartbeat", "refresh", "events")  # requests made within a live session
REFRESH_BEFORE_SECONDS = 60.0  # a student refreshes its playback token this long before expiry  # an answer slower than this counts as a failure for the recovery time


def bearer(settings: Settings, tenant: str, role: str, sub: str) -> dict[str, str]:
    """Authorization headers of a (tenant, role, sub)."""
    token = mint_token(settings.auth_jwt_secret, tenant=tenant, sub=sub, role=role)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Answer:
    """One request of the storm, as the client saw it."""

    at: float
    kind: str
    status: int  # or NO_CONNECTION, TIMED_OUT
    retry_after: bool
    detail: str = ""
    seconds: float = 0.0  # how long the answer took


@dataclass
class Ledger:
    """Everything the storm sent and what came back."""

    answers: list[Answer] = field(default_factory=list)
    accepted_marks: set[str] = field(default_factory=set)

    def note(self, kind: str, sent: float, status: int, retry_after: bool,
             detail: str = "") -> None:
        """Record one answer to a request sent at ``sent`` (monotonic)."""
        now = time.monotonic()
        self.answers.append(Answer(now, kind, status, retry_after, detail, now - sent))

    def statuses(self) -> Counter[str]:
        """Answers by status; ``conn`` for a gateway that took no connection, ``timeout``."""
        names = {NO_CONNECTION: "conn", TIMED_OUT: "timeout"}
        return Counter(names.get(a.status, str(a.status)) for a in self.answers)

    def bad(self) -> list[Answer]:
        """Answers a client must not get: an HTTP status other than 2xx, 409, 429 and 503 +
        Retry-After, or no answer in time. A refused connection is not one: no gateway took
        the request, and the client tried the other."""
        return [a for a in self.answers if a.status not in (NO_CONNECTION, 200, 201, 409, 429)
                and not (a.status == 503 and a.retry_after)]

    def lost_sessions(self) -> int:
        """Heartbeats, refreshes and event batches told their session is not live. In this storm a
        session only ends when the student's own next play replaces it, which the student
        makes only after such an answer: any is a live session lost."""
        return sum(1 for a in self.answers if a.kind in SESSION_KINDS and a.status == 409)

    def last_failure(self, since: float) -> float | None:
        """When the last request after ``since`` failed (503, no answer, a lost session) or
        took longer than SLOW_SECONDS, if one did."""
        failed = [a.at for a in self.answers if a.at >= since and (
            a.status in (NO_CONNECTION, TIMED_OUT, 503) or a.seconds > SLOW_SECONDS
            or a.kind in SESSION_KINDS and a.status == 409)]
        return max(failed) if failed else None

    def failures_by_kind(self) -> dict[str, int]:
        """Answers other than 200/201 by request kind and status (``events 503``)."""
        names = {NO_CONNECTION: "conn", TIMED_OUT: "timeout"}
        return dict(sorted(Counter(f"{a.kind} {names.get(a.status, a.status)}"
                                   for a in self.answers if a.status not in (200, 201)).items()))


@dataclass
class Classroom:
    """A fresh tenant with one link video and students enrolled in its session."""

    tenant: str
    admin: dict[str, str]
    video: int
    enrollments: list[int]
    session: int


async def _post(http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str]
                ) -> Any:
    async with http.post(url, json=body, headers=headers) as resp:
        assert resp.status in (200, 201), (url, resp.status, await resp.text())
        return await resp.json()


async def build_classroom(http: aiohttp.ClientSession, base: str, settings: Settings,
                          students: int) -> Classroom:
    """One stream per student, three devices, ``reject``; high rate limits."""
    tenant = f"chaos-{uuid.uuid4().hex[:8]}"
    admin = bearer(settings, tenant, "admin", "chaos-admin")
    async with http.patch(base + "/api/v1/media/settings/", headers=admin, json={
            "max_sessions": 1, "max_devices": 3, **HIGH_RATES}) as resp:
        assert resp.status == 200, await resp.text()
    cat = base + "/api/v1/catalog/"
    lecture = await _post(http, cat + "lectures/", {"title": "Chaos"}, admin)
    session = await _post(http, cat + "sessions/", {"lecture": lecture["id"], "title": "S"},
                          admin)
    people = await _post(http, cat + "students/", [
        {"user_id": f"u{i}", "name": f"S{i}"} for i in range(students)], admin)
    enrollments = await _post(http, cat + "enrollments/", [
        {"student": p["id"], "lecture": lecture["id"]} for p in people], admin)
    await _post(http, cat + "session-enrollments/", [
        {"session": session["id"], "enrollment": e["id"]} for e in enrollments], admin)
    video = await _post(http, base + V + "add-url/", {
        "session": session["id"], "title": "V", "url": "https://e.org/v.mp4"}, admin)
    return Classroom(tenant, admin, video["id"], [e["id"] for e in enrollments], session["id"])


class Storm:
    """Students hammering a set of gateways until stopped; a client fails over on no answer."""

    def __init__(self, settings: Settings, bases: list[str], room: Classroom,
                 round_seconds: float = ROUND_SECONDS) -> None:
        self.settings = settings
        self.round_seconds = round_seconds
        self.bases = bases
        self.room = room
        self.ledger = Ledger()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Start every student and the admin reader."""
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                           timeout=TIMEOUT)
        self._tasks = [asyncio.create_task(self._student(i, e))
                       for i, e in enumerate(self.room.enrollments)]
        self._tasks.append(asyncio.create_task(self._admin()))

    async def stop(self) -> Ledger:
        """Let every student finish its request in flight, then close."""
        self._stop.set()
        await asyncio.gather(*self._tasks)
        assert self._http is not None
        await self._http.close()
        return self.ledger

    async def _call(self, kind: str, path: str, body: Any, headers: dict[str, str],
                    turn: int, method: str = "POST") -> tuple[int, Any]:
        """One request, to gateway ``turn % n`` first; on no connection, to the next one (as
        a load balancer does). (status, JSON body); status 0 when no gateway answered."""
        assert self._http is not None
        for attempt in range(len(self.bases)):
            base = self.bases[(turn + attempt) % len(self.bases)]
            sent = time.monotonic()
            try:
                async with self._http.request(method, base + path, json=body,
                                              headers=headers) as resp:
                    data = await resp.json(content_type=None)
                    detail = data.get("detail", "") if isinstance(data, dict) else ""
                    self.ledger.note(kind, sent, resp.status, "Retry-After" in resp.headers,
                                     str(detail)[:80])
                    return resp.status, data
            except TimeoutError:
                self.ledger.note(kind, sent, TIMED_OUT, False, "timeout")
                return TIMED_OUT, None
            except aiohttp.ClientError as exc:
                # Refused or reset: the gateway is gone (killed, restarting).
                self.ledger.note(kind, sent, NO_CONNECTION, False, type(exc).__name__)
        return NO_CONNECTION, None

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            pass

    async def _student(self, i: int, enrollment: int) -> None:
        headers = bearer(self.settings, self.room.tenant, "student", f"u{i}")
        video = f"{V}{self.room.video}/"
        turn = i
        token: str | None = None
        expires_at = 0.0
        batch = 0
        await self._pause(random.random() * self.round_seconds)
        while not self._stop.is_set():
            turn += 1
            if token is None:
                status, data = await self._call("play", video + "play/", {
                    "enrollment_id": enrollment, "device_id": f"d{i}"}, headers, turn)
                if status == 200:
                    token, expires_at = data["token"], data["expires_at"]
                await self._pause(self.round_seconds)
                continue
            if time.time() > expires_at - REFRESH_BEFORE_SECONDS:
                # As the player does: a new token for the same session before this one expires.
                status, data = await self._call("refresh", video + "refresh/", {"token": token},
                                                headers, turn)
                if status == 200:
                    token, expires_at = data["token"], data["expires_at"]
                elif status in (401, 409):
                    token = None
                    continue
            status, _ = await self._call("heartbeat", video + "heartbeat/", {"token": token},
                                         headers, turn)
            if status == 409:
                token = None
                continue
            batch += 1
            if not await self._send_batch(video, headers, token, f"u{i}-{batch}", turn):
                token = None
                continue
            if random.random() < 0.1:
                # A second screen: the limit of one stream must refuse it while the first lives.
                status, data = await self._call("play", video + "play/", {
                    "enrollment_id": enrollment, "device_id": f"x{i}"}, headers, turn + 1)
                if status == 200:
                    token, expires_at = data["token"], data["expires_at"]
            await self._pause(self.round_seconds)

    async def _send_batch(self, video: str, headers: dict[str, str], token: str,
                          batch_id: str, turn: int) -> bool:
        """Send one batch until it is accepted; False when its session is gone."""
        now = time.time()
        marks = [f"{self.room.tenant}/{batch_id}/{k}" for k in range(EVENTS_PER_BATCH)]
        events = [{"type": "FOCUS_GAINED", "occurred_at": now, "payload": {"mark": mark}}
                  for mark in marks]
        while True:
            status, _ = await self._call("events", video + "events/", {
                "token": token, "batch_id": batch_id, "events": events}, headers, turn)
            if status == 200:
                self.ledger.accepted_marks.update(marks)
                return True
            if status == 409 or self._stop.is_set():
                return status != 409
            turn += 1
            await self._pause(0.2)

    async def _admin(self) -> None:
        """An admin page reading the video list once a second (503 while PostgreSQL is away)."""
        turn = 0
        while not self._stop.is_set():
            turn += 1
            await self._call("admin", V, None, self.room.admin, turn, method="GET")
            await self._pause(1.0)
