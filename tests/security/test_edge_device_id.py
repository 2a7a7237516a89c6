"""Finding 3: a device_id PostgreSQL cannot store must never start a session.

A NUL in ``device_id`` used to play normally while the session and device rows were refused
by PostgreSQL: managers never saw the session, ``revoke/`` answered 404 and the device could
not be forgotten. The gateway now refuses such ids before the session actor hears of them.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp.test_utils import TestClient

from tests.http.playback_fixtures import build_stage, play

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """The session actor (and the recorders writing session rows) run in this worker."""


@pytest.mark.parametrize("device", ["dev\x00hidden", "dev\nline", "dev\ttab", "\x1b[31m",
                                    "dev\x7f", "dev\u0085", "d" * 129, ""])
async def test_a_device_id_postgresql_or_a_log_line_cannot_hold_is_refused(
        api: TestClient, bearer, tenant_slug: str, device: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    resp = await play(api, stage, device)
    assert resp.status == 400, await resp.text()
    assert list(await resp.json()) == ["device_id"]


async def test_a_played_device_is_seen_revoked_and_forgotten_by_managers(
        api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    resp = await play(api, stage, "Pixel 8 (Chrome) é")
    assert resp.status == 200, await resp.text()
    session_id = (await resp.json())["session_id"]
    admin = stage.room.admin
    deadline = time.monotonic() + 20
    while True:
        listed = await (await api.get("/api/v1/media/playback-sessions/", headers=admin)).json()
        devices = await (await api.get("/api/v1/media/devices/", headers=admin)).json()
        if [s["session_id"] for s in listed["results"]] == [session_id] and devices:
            break
        assert time.monotonic() < deadline, (listed, devices)
        await asyncio.sleep(0.2)
    revoked = await api.post(f"/api/v1/media/playback-sessions/{session_id}/revoke/",
                             headers=admin)
    assert revoked.status == 200, await revoked.text()
    forgot = await api.delete(f"/api/v1/media/devices/{devices[0]['id']}/", headers=admin)
    assert forgot.status == 204, await forgot.text()
