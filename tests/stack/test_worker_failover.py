"""A Faust worker killed (SIGKILL) during a play storm loses no decision; limits still hold."""

from __future__ import annotations

import asyncio
import collections
import signal
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.conftest import AgentsWorker
from tests.stack.test_races import headers, make_students

pytestmark = pytest.mark.stack
USERS = 24


async def _settled_active(db: asyncpg.Pool, tenant: str) -> dict[str, list[str]]:
    """ACTIVE sessions per user once the recorder stopped changing them."""
    previous: Any = None
    for _ in range(60):
        rows = await db.fetch(
            """SELECT ps.user_id, ps.session_id, ps.status FROM playback_sessions ps
               JOIN tenants t ON t.id = ps.tenant_id WHERE t.slug = $1 ORDER BY ps.id""", tenant)
        snapshot = [tuple(r) for r in rows]
        if snapshot == previous:
            break
        previous = snapshot
        await asyncio.sleep(1.0)
    active: dict[str, list[str]] = collections.defaultdict(list)
    for user, session, status in previous or []:
        if status == "ACTIVE":
            active[user].append(session)
    return active


async def test_killing_a_worker_mid_storm_keeps_every_decision(
        settings: Any, db: asyncpg.Pool, two_gateways: list[Any], agents_worker: AgentsWorker,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    victim = AgentsWorker(tmp_path_factory.mktemp("victim") / "worker.log",
                          extra_env={"AGENTS_DATA_DIR": str(tmp_path_factory.mktemp("vdata"))})
    victim.wait_ready()
    tenant = f"failover-{uuid.uuid4().hex[:8]}"
    admin = headers(settings, tenant, "admin", "a")
    bases = [g.url for g in two_gateways]
    async with aiohttp.ClientSession() as http:
        video, enrollments = await make_students(http, bases[0], admin, USERS,
                                                 max_sessions=1, max_devices=100)
        outcomes: collections.Counter[str] = collections.Counter()
        granted: dict[str, str] = {}

        async def player(i: int, enrollment: int) -> None:
            student = headers(settings, tenant, "student", f"u{i}")
            for n in range(6):
                url = f"{bases[(i + n) % 2]}/api/v1/media/videos/{video}/play/"
                async with http.post(url, json={"enrollment_id": enrollment,
                                                "device_id": f"d{i}-{n}"},
                                     headers=student) as resp:
                    body = await resp.json()
                    outcomes[str(resp.status)] += 1
                    if resp.status == 200:
                        granted[f"u{i}"] = body["session_id"]
                await asyncio.sleep(0.3)

        async def killer() -> None:
            await asyncio.sleep(0.8)
            victim.process.send_signal(signal.SIGKILL)

        await asyncio.gather(killer(), *(player(i, e) for i, e in enumerate(enrollments)))
        victim.process.wait()
        print("failover outcomes", dict(outcomes))
        assert set(outcomes) <= {"200", "409", "503"}, outcomes
        assert outcomes["200"] >= 1

        # After the rebalance the surviving worker owns every user: its table (recovered from
        # the changelog) must hold every live session, so limits still hold for everyone.
        active = await _settled_active(db, tenant)
        assert all(len(sessions) <= 1 for sessions in active.values()), active
        for user, sessions in active.items():
            i = int(user[1:])
            student = headers(settings, tenant, "student", user)
            async with http.post(f"{bases[0]}/api/v1/media/videos/{video}/play/",
                                 json={"enrollment_id": enrollments[i], "device_id": "late"},
                                 headers=student) as resp:
                body = await resp.json()
                assert (resp.status, body.get("detail")) == (409, "concurrency_limit_exceeded"), \
                    (user, sessions, body)
