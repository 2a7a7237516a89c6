"""Shared set-up for the playback tests: a READY video a student may play."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from config.settings import Settings
from storage.cache import create_redis
from tests.http.media_fixtures import Classroom, add_link_video, build_classroom


@dataclass
class Stage:
    """A classroom, a READY video, and the first student's headers and enrollment."""

    room: Classroom
    video: dict[str, Any]
    student: dict[str, str]
    enrollment: int

    def play_url(self) -> str:
        return f"/api/v1/media/videos/{self.video['id']}/play/"

    def url(self, action: str) -> str:
        return f"/api/v1/media/videos/{self.video['id']}/{action}/"


async def set_tenant(api: TestClient, room: Classroom, **settings: object) -> None:
    resp = await api.patch("/api/v1/media/settings/", json=settings, headers=room.admin)
    assert resp.status == 200, await resp.text()


async def build_stage(api: TestClient, bearer: Any, tenant: str, **settings: object) -> Stage:
    """A class of two, one READY video, tenant settings applied."""
    room = await build_classroom(api, bearer, tenant, students=2)
    video = await add_link_video(api, room)
    if settings:
        await set_tenant(api, room, **settings)
    student = bearer(tenant, role="student", sub="stu-0")
    return Stage(room, video, student, room.enrollments[0]["id"])


async def play(api: TestClient, stage: Stage, device: str = "dev-1",
               enrollment: int | None = None, headers: dict[str, str] | None = None):
    """POST play/ and return the response."""
    return await api.post(stage.play_url(), json={
        "enrollment_id": enrollment or stage.enrollment, "device_id": device},
        headers=headers or stage.student)


async def audit_rows(db: asyncpg.Pool, session_id: str, expected: int) -> tuple[int, int]:
    """(rows, distinct ids) of a session's audit trail, once ``expected`` arrived (or 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        rows, distinct = await db.fetchrow(
            "SELECT count(*), count(DISTINCT id) FROM playback_events WHERE session_id = $1",
            session_id)
        if rows >= expected or time.monotonic() > deadline:
            return rows, distinct
        await asyncio.sleep(0.2)


async def flush_redis(settings: Settings) -> None:
    """Empty the stack's Redis, as a restart without persistence does."""
    client = create_redis(settings)
    try:
        await client.flushall()
    finally:
        await client.aclose()
