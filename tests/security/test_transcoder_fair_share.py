"""Finding 6: one academy's backlog cannot hold every transcoder slot while another waits.

One worker with one slot (the test stack's ``TRANSCODER_CONCURRENCY``). Academy A uploads a
backlog; academy B uploads one video once A's first transcode runs. The jobs of both sit in the
same partitions, keyed by video, so without a fair share B's job waits behind whichever of A's
jobs are ahead of it. With it, the next free slot passes over A's jobs (they go to the back of
the topic) and takes B's: B is READY while most of A's backlog still waits.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.http.media_fixtures import build_classroom
from tests.http.transcode_fixtures import make_source, upload, wait_for_status

pytestmark = pytest.mark.stack
BACKLOG = 8


@pytest.fixture(autouse=True)
def _workers(dispatch_worker, transcoder_worker) -> None:
    """The dispatch agent and one real transcoder worker (one slot)."""


async def statuses(db: asyncpg.Pool, ids: list[int]) -> list[str]:
    rows = await db.fetch("SELECT id, status FROM videos WHERE id = ANY($1::bigint[])", ids)
    by_id = {r["id"]: r["status"] for r in rows}
    return [by_id[i] for i in ids]


async def test_another_academys_upload_starts_before_a_backlog_is_done(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, tmp_path: Path) -> None:
    room_a = await build_classroom(api, bearer, tenant_slug, students=0)
    room_b = await build_classroom(api, bearer, tenant_slug + "-b", students=0)
    data = await make_source(tmp_path / "clip.mp4", 320, 240, 1.0, audio=False)
    backlog = [(await upload(api, room_a, data, name=f"A{i}.mp4"))["id"]
               for i in range(BACKLOG)]
    deadline = time.monotonic() + 120
    while "READY" not in await statuses(db, backlog):  # A holds the slot and has a queue
        assert time.monotonic() < deadline, await statuses(db, backlog)
        await asyncio.sleep(0.1)
    other = (await upload(api, room_b, data, name="B.mp4"))["id"]
    row = (await wait_for_status(db, other, {"READY", "FAILED"}, timeout=300)).row
    assert row["status"] == "READY", row["error_reason"]
    done_first = (await statuses(db, backlog)).count("READY")
    # A's first, perhaps the one that had started when B's job arrived; then B.
    assert done_first <= 3, f"B waited for {done_first} of A's {BACKLOG} transcodes"
    for video_id in backlog:  # A's backlog still completes (deferred jobs are not lost)
        assert (await wait_for_status(db, video_id, {"READY", "FAILED"}, timeout=300)
                ).row["status"] == "READY"
