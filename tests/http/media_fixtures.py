"""Shared set-up for the media HTTP tests: a class built through the catalog API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient


@dataclass
class Classroom:
    """A lecture with one class session and enrolled students, in one tenant."""

    tenant: str
    admin: dict[str, str]
    lecture: dict[str, Any]
    session: dict[str, Any]
    students: list[dict[str, Any]]
    enrollments: list[dict[str, Any]]


async def _post(api: TestClient, path: str, body: object, headers: dict[str, str]) -> Any:
    resp = await api.post(path, json=body, headers=headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def build_classroom(api: TestClient, bearer: Any, tenant: str,
                          students: int = 2) -> Classroom:
    """Lecture + session + students enrolled in the lecture and linked to the session."""
    admin = bearer(tenant)
    base = "/api/v1/catalog/"
    lecture = await _post(api, base + "lectures/", {"title": "Biology"}, admin)
    session = await _post(api, base + "sessions/", {"lecture": lecture["id"], "title": "W1"},
                          admin)
    if not students:
        return Classroom(tenant, admin, lecture, session, [], [])
    people = await _post(api, base + "students/", [
        {"user_id": f"stu-{i}", "name": f"Student {i}"} for i in range(students)], admin)
    enrollments = await _post(api, base + "enrollments/", [
        {"student": p["id"], "lecture": lecture["id"]} for p in people], admin)
    await _post(api, base + "session-enrollments/", [
        {"session": session["id"], "enrollment": e["id"]} for e in enrollments], admin)
    return Classroom(tenant, admin, lecture, session, people, enrollments)


async def add_link_video(api: TestClient, room: Classroom, title: str = "Intro",
                         session: int | None = None) -> dict[str, Any]:
    """A READY video from a YouTube link."""
    return await _post(api, "/api/v1/media/videos/add-url/", {
        "session": session or room.session["id"], "title": title,
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, room.admin)
