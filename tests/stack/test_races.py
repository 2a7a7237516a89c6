"""Limits hold under load: two gateway processes, two Faust workers, simultaneous plays."""

from __future__ import annotations

import asyncio
import collections
import uuid
from typing import Any

import aiohttp
import pytest

from gateway.auth import mint_token

pytestmark = pytest.mark.stack
TRIALS = 20
PLAYS = 50


def headers(settings: Any, tenant: str, role: str, sub: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(settings.auth_jwt_secret, tenant=tenant,
                                                    sub=sub, role=role)}


async def post(http: aiohttp.ClientSession, url: str, body: Any, h: dict[str, str]) -> Any:
    async with http.post(url, json=body, headers=h) as resp:
        assert resp.status in (200, 201), await resp.text()
        return await resp.json()


async def make_students(http: aiohttp.ClientSession, base: str, admin: dict[str, str],
                        count: int, **tenant_settings: object) -> tuple[int, list[int]]:
    """A READY video and ``count`` students enrolled in its session; returns (video, enrollments)."""
    cat = base + "/api/v1/catalog/"
    async with http.patch(base + "/api/v1/media/settings/", json=tenant_settings,
                          headers=admin) as resp:
        assert resp.status == 200
    lecture = await post(http, cat + "lectures/", {"title": "L"}, admin)
    session = await post(http, cat + "sessions/", {"lecture": lecture["id"], "title": "S"}, admin)
    students = await post(http, cat + "students/", [
        {"user_id": f"u{i}", "name": f"S{i}"} for i in range(count)], admin)
    enrollments = await post(http, cat + "enrollments/", [
        {"student": s["id"], "lecture": lecture["id"]} for s in students], admin)
    await post(http, cat + "session-enrollments/", [
        {"session": session["id"], "enrollment": e["id"]} for e in enrollments], admin)
    video = await post(http, base + "/api/v1/media/videos/add-url/", {
        "session": session["id"], "title": "V", "url": "https://e.org/v.mp4"}, admin)
    return video["id"], [e["id"] for e in enrollments]


async def storm(http: aiohttp.ClientSession, bases: list[str], video: int, enrollment: int,
                student: dict[str, str], devices: list[str]) -> collections.Counter[str]:
    """Fire one play per device at once, alternating gateways; count the answers."""
    async def one(i: int, device: str) -> str:
        url = f"{bases[i % len(bases)]}/api/v1/media/videos/{video}/play/"
        async with http.post(url, json={"enrollment_id": enrollment, "device_id": device},
                             headers=student) as resp:
            body = await resp.json()
            return "granted" if resp.status == 200 else f"{resp.status} {body['detail']}"
    return collections.Counter(await asyncio.gather(*(one(i, d) for i, d in enumerate(devices))))


@pytest.mark.parametrize(("limits", "expected"), [
    ({"max_sessions": 1, "max_devices": 100},
     {"granted": 1, "409 concurrency_limit_exceeded": PLAYS - 1}),
    ({"max_sessions": 100, "max_devices": 2},
     {"granted": 2, "409 device_limit_exceeded": PLAYS - 2}),
], ids=["one-stream", "two-devices"])
async def test_fifty_simultaneous_plays_from_fifty_devices_respect_the_limit(
        settings: Any, two_gateways: list[Any], second_agents_worker: Any,
        limits: dict[str, int], expected: dict[str, int]) -> None:
    tenant = f"race-{uuid.uuid4().hex[:8]}"
    admin = headers(settings, tenant, "admin", "a")
    bases = [g.url for g in two_gateways]
    async with aiohttp.ClientSession() as http:
        video, enrollments = await make_students(http, bases[0], admin, TRIALS, **limits)
        for trial, enrollment in enumerate(enrollments):
            student = headers(settings, tenant, "student", f"u{trial}")
            counts = await storm(http, bases, video, enrollment, student,
                                 [f"d{trial}-{i}" for i in range(PLAYS)])
            assert counts == expected, (trial, counts)
