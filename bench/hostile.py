"""Issue 11's seven findings, probed against real processes: what each tried, what it got.

    set -a; PROFILE=test; . infra/env.sh; set +a      # the test stack must be up
    .venv/bin/python infra/provision.py                # (make test's stack, or STACK_SLOT=N)
    .venv/bin/python bench/hostile.py [--only 1,4,7]

Starts one ``python -m gateway`` (CDN cookies of a few seconds, so finding 7 is quick), the
agents worker, the recorders, dispatch and a transcoder on the test stack; builds a fresh
tenant through the API; then runs the probes of ``bench/hostile_probes.py``. Each line says what
was tried, what came back, and ``holds`` or ``BROKEN``; the exit status counts the broken ones.
The output of a run is in ``docs/security.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import uuid
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hostile_probes import PROBES, Line, Target  # noqa: E402
from config.settings import load_settings  # noqa: E402
from gateway.auth import Role, mint_token  # noqa: E402
from tests.conftest import (  # noqa: E402
    AgentsWorker,
    GatewayProcess,
    ModuleProcess,
    RecorderProcess,
)

COOKIE_TTL_SECONDS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Transcoder(ModuleProcess):
    """``python -m transcoder``, ready once it has its partitions."""

    ready_marker = b"transcoder waiting for jobs"
    what = "transcoder"


async def _post(http: aiohttp.ClientSession, url: str, body: object,
                headers: dict[str, str]) -> dict[str, object] | list[dict[str, object]]:
    async with http.post(url, json=body, headers=headers) as resp:
        assert resp.status == 201, (url, resp.status, await resp.text())
        return await resp.json()  # type: ignore[no-any-return]


async def build_target(base: str, http: aiohttp.ClientSession, db: asyncpg.Pool,
                       secret: str) -> Target:
    """A tenant with a lecture, a session, two students and a READY link video of 10 min."""
    tenant = f"hostile-{uuid.uuid4().hex[:8]}"
    admin = {"Authorization": "Bearer " + mint_token(secret, tenant=tenant, sub="admin-1",
                                                     role=Role.ADMIN, ttl_seconds=3600)}
    api = base + "/api/v1/catalog/"
    lecture = await _post(http, api + "lectures/", {"title": "Security"}, admin)
    session = await _post(http, api + "sessions/", {"lecture": lecture["id"], "title": "W1"},
                          admin)
    people = await _post(http, api + "students/", [
        {"user_id": f"stu-{i}", "name": f"Student {i}"} for i in range(2)], admin)
    enrollments = await _post(http, api + "enrollments/", [
        {"student": p["id"], "lecture": lecture["id"]} for p in people], admin)
    await _post(http, api + "session-enrollments/", [
        {"session": session["id"], "enrollment": e["id"]} for e in enrollments], admin)
    video = await _post(http, base + "/api/v1/media/videos/add-url/", {
        "session": session["id"], "title": "Ten minutes",
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}, admin)
    # A known length, so coverage has a denominator (a link video has none of its own).
    await db.execute("UPDATE videos SET duration = 600 WHERE id = $1", video["id"])
    students = [{"Authorization": "Bearer " + mint_token(
        secret, tenant=tenant, sub=f"stu-{i}", role=Role.STUDENT, ttl_seconds=3600)}
        for i in range(2)]
    return Target(base=base, tenant=tenant, admin=admin, students=students,
                  enrollments=[int(e["id"]) for e in enrollments], video=int(video["id"]),
                  session=int(session["id"]), secret=secret)


async def run(only: set[int]) -> int:
    settings = load_settings(os.environ)
    logs = Path(tempfile.mkdtemp(prefix="hostile-"))
    # An entry point's own environment: the processes it starts inherit it.
    os.environ["CDN_COOKIE_TTL_SECONDS"] = str(COOKIE_TTL_SECONDS)
    gateway = GatewayProcess(free_port(), logs / "gateway.log")
    processes: list[ModuleProcess] = [
        RecorderProcess(logs / "recorders.log"), AgentsWorker(logs / "agents.log"),
        AgentsWorker(logs / "dispatch.log", module="agents.dispatch_worker"),
        Transcoder("transcoder", logs / "transcoder.log",
                   extra_env={"TRANSCODER_WORK_DIR": str(logs / "work")})]
    broken = 0
    try:
        await asyncio.to_thread(gateway.wait_ready)
        for process in processes:
            await asyncio.to_thread(process.wait_ready, 180.0)
        db = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            target = await build_target(gateway.url, http, db, settings.auth_jwt_secret)
            target.settings, target.db, target.http, target.logs = settings, db, http, logs
            target.recorders, target.cookie_ttl = processes[0], COOKIE_TTL_SECONDS
            print(f"tenant {target.tenant}, gateway {gateway.url}, logs in {logs}\n")
            for number, (title, probe) in PROBES.items():
                if only and number not in only:
                    continue
                print(f"[{number}] {title}")
                try:
                    lines = await probe(target)
                except Exception as exc:  # noqa: BLE001 - a probe that breaks is a finding too
                    lines = [Line("the probe itself", f"raised {exc!r}"[:300], False)]
                for line in lines:
                    broken += not line.holds
                    print(f"    {line}")
                print()
        await db.close()
    finally:
        gateway.stop()
        for process in reversed(processes):
            process.stop()
    print(f"{broken} broken" if broken else "every probe holds")
    return broken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated finding numbers (1-7)")
    args = parser.parse_args()
    only = {int(n) for n in args.only.split(",") if n.strip()}
    return asyncio.run(run(only))


if __name__ == "__main__":
    raise SystemExit(main())
