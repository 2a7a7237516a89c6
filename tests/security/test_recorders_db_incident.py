"""Finding 4: a database incident made the recorders drop every row of the batch and commit.

On disk full, too many connections, a read-only node, admin shutdown, query cancel, deadlock...
the recorders wrote the batch row by row, logged each row as dropped and committed the offsets:
the rows were lost. Now only a refusal of the row's data (SQLSTATE classes 22, 23) skips a row;
anything else is retried with backoff, the offsets are never committed past, and once the
fault clears every row is stored exactly once.

The faults are PostgreSQL's own, on the recorder's connections only: a read-only session, a
statement or lock timeout while another connection holds a lock, backends terminated, and, for
the conditions a test cannot cause on demand (disk full, too many connections, deadlock...), a
trigger that raises the same SQLSTATE when the session asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
import orjson
import pytest

from storage.db import _init_connection
from streams import topics
from streams.schemas import PlaybackEventV1
from tests.stack.recorder_harness import dead_letters_of, private_recorder

pytestmark = pytest.mark.stack
T0 = 1_800_000_000.0
EVENTS = 5
FAULT_SECONDS = 2.5


@dataclass
class Fault:
    """Settings the recorder's connections get at every acquire (the pool's ``setup``)."""

    sets: tuple[str, ...] = ()

    async def setup(self, conn: asyncpg.Connection) -> None:
        for statement in self.sets:
            await conn.execute(statement)


@contextlib.asynccontextmanager
async def _nothing(db: asyncpg.Pool, app: str) -> AsyncIterator[None]:
    yield


@contextlib.asynccontextmanager
async def _table_locked(db: asyncpg.Pool, app: str) -> AsyncIterator[None]:
    # Another session holds a lock the recorder's INSERT waits for.
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("LOCK TABLE playback_events IN SHARE MODE")
        yield


@contextlib.asynccontextmanager
async def _backends_terminated(db: asyncpg.Pool, app: str) -> AsyncIterator[None]:
    async def terminate() -> None:
        while True:
            await db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = $1", app)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(terminate())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _injected(sqlstate: str) -> tuple[str, ...]:
    return (f"SET lecturecast.test_fault = '{sqlstate}'",)


Context = Callable[[asyncpg.Pool, str], contextlib.AbstractAsyncContextManager[None]]
# (name, the recorder's session settings, what else happens meanwhile, deterministic)
CASES: list[tuple[str, tuple[str, ...], Context, bool]] = [
    ("read-only node 25006", ("SET default_transaction_read_only = on",), _nothing, True),
    ("query cancel 57014", ("SET statement_timeout = '150ms'",), _table_locked, True),
    ("lock timeout 55P03", ("SET lock_timeout = '100ms'",), _table_locked, True),
    ("backend terminated", (), _backends_terminated, False),
    *[(f"injected {code}", _injected(code), _nothing, True) for code in (
        "53100",  # disk full
        "53300",  # too many connections
        "53200",  # out of memory
        "57P01",  # admin shutdown
        "40P01",  # deadlock detected
        "40001",  # serialization failure
        "08006",  # connection failure
        "58030",  # I/O error
        "XX000",  # internal error
    )],
]

_TRIGGER = """
CREATE OR REPLACE FUNCTION lecturecast_test_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('lecturecast.test_fault', true), '') <> '' THEN
        RAISE EXCEPTION 'injected fault %', current_setting('lecturecast.test_fault')
            USING ERRCODE = current_setting('lecturecast.test_fault');
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER lecturecast_test_fault BEFORE INSERT OR UPDATE ON playback_events
    FOR EACH ROW EXECUTE FUNCTION lecturecast_test_fault();
"""


@pytest.fixture
async def fault_trigger(db: asyncpg.Pool) -> AsyncIterator[None]:
    """The trigger that raises a chosen SQLSTATE in sessions that set lecturecast.test_fault."""
    await db.execute(_TRIGGER)
    try:
        yield
    finally:
        await db.execute("DROP TRIGGER IF EXISTS lecturecast_test_fault ON playback_events")


def _event(tenant_id: int, session: str) -> bytes:
    return orjson.dumps(asdict(PlaybackEventV1(
        event_id=str(uuid.uuid4()), tenant="t", tenant_id=tenant_id, user_id="u", video_id=1,
        enrollment_id=1, session_id=session, event_type="POSITION", occurred_at=T0,
        received_at=T0, payload={"position": 1})))


@pytest.mark.parametrize(("name", "sets", "meanwhile", "deterministic"), CASES,
                         ids=[case[0] for case in CASES])
async def test_a_database_incident_is_retried_and_never_committed_past(
        settings: Any, db: asyncpg.Pool, make_tenant: Any, fault_trigger: None, name: str,
        sets: tuple[str, ...], meanwhile: Context, deterministic: bool) -> None:
    tenant = await make_tenant()
    app = f"recorder-under-test-{uuid.uuid4().hex[:8]}"
    fault = Fault()
    pool = await asyncpg.create_pool(
        settings.database_url, min_size=1, max_size=2, init=_init_connection,
        setup=fault.setup, server_settings={"application_name": app})
    events = topics.PLAYBACK_EVENTS
    run = f"incident-{uuid.uuid4().hex[:8]}"

    async def stored() -> int:
        return int(await db.fetchval(
            "SELECT count(*) FROM playback_events WHERE tenant_id = $1 AND session_id = $2",
            tenant.id, run))

    try:
        async with private_recorder(settings, pool) as rec:
            warm = await rec.publish(events, [_event(tenant.id, "warm-up")])
            await rec.until("the warm-up committed",
                            lambda: _equals(rec.committed(events), warm[0] + 1))
            fault.sets = sets
            async with meanwhile(db, app):
                sent = await rec.publish(events, [_event(tenant.id, run) for _ in range(EVENTS)])
                deadline = time.monotonic() + FAULT_SECONDS
                while time.monotonic() < deadline:
                    committed, rows = await rec.committed(events), await stored()
                    # Never committed past a row that is not stored (one partition, in order:
                    # the committed messages of the batch are its first ``rows``).
                    assert committed - (warm[0] + 1) <= rows, (committed, rows)
                    rec.alive()
                    await asyncio.sleep(0.1)
                if deterministic:
                    assert await stored() == 0
                    assert await rec.committed(events) == warm[0] + 1
                fault.sets = ()
            await rec.until("every row stored after the fault",
                            lambda: _equals(stored(), EVENTS))
            await rec.until("the batch committed",
                            lambda: _equals(rec.committed(events), sent[-1] + 1))
            letters = await dead_letters_of(settings, rec.topic(events))
    finally:
        await pool.close()
    assert await db.fetchval(
        "SELECT count(DISTINCT id) FROM playback_events WHERE tenant_id = $1 AND session_id = $2",
        tenant.id, run) == EVENTS
    assert letters == []  # a database fault is no reason to give up on a message


async def _equals(value: Any, expected: Any) -> bool:
    return bool(await value == expected)
