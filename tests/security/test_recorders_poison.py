"""Finding 1: one message no row can be made of stopped the recorders for every tenant.

An event with ``"occurred_at": 1e12`` (year 33658) made the recorder raise while converting the
timestamp, before committing, and again at every restart. Now every conversion from a message to
a row is total: what cannot become a row goes to the dead-letter topic with the reason and the
original bytes, and every other message of the batch is stored and committed.
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from typing import Any

import asyncpg
import orjson
import pytest

from streams import topics
from streams.schemas import PlaybackEventV1, ProgressV1, SessionLifecycleV1, ViolationV1
from tests.stack.recorder_harness import dead_letters_of, private_recorder

pytestmark = pytest.mark.stack
T0 = 1_800_000_000.0


def _event(owner: int, **changes: Any) -> dict[str, Any]:
    event = PlaybackEventV1(
        event_id=str(uuid.uuid4()), tenant="t", tenant_id=owner, user_id="u", video_id=1,
        enrollment_id=1, session_id="s-poison", event_type="POSITION", occurred_at=T0,
        received_at=T0 + 0.5, payload={"position": 3}, policy={"allow_seek": False})
    return {**dataclasses.asdict(event), **changes}


# What a careless or hostile producer can put on the topic: each is refused alone.
POISON_EVENTS: list[tuple[str, dict[str, Any] | bytes | None]] = [
    ("occurred_at far in the future", {"occurred_at": 1e12}),
    ("received_at before year 1", {"received_at": -1e12}),
    ("video_id beyond bigint", {"video_id": 2**64 - 1}),
    ("enrollment_id beyond bigint", {"enrollment_id": 2**63}),
    ("session_id with NUL", {"session_id": "s\u0000"}),
    ("session_id too long for an index", {"session_id": "s" * 5000}),
    ("payload with NUL", {"payload": {"note": "a\u0000b"}}),
    ("payload key with NUL", {"payload": {"a\u0000": 1}}),
    ("payload not an object", {"payload": [1, 2]}),
    ("event_id not a UUID", {"event_id": "not-a-uuid"}),
    ("not JSON", b"\xff\x00garbage"),
    ("JSON but not an object", b"[1, 2, 3]"),
    ("null value", None),
]


def _raw(value: dict[str, Any] | bytes | None, tenant_id: int) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return orjson.dumps(_event(tenant_id, **value))


async def test_poison_events_are_dead_lettered_and_the_rest_is_stored(
        settings: Any, db: asyncpg.Pool, make_tenant: Any) -> None:
    tenant = await make_tenant()
    good = [_event(tenant.id) for _ in range(4)]
    poison = [_raw(value, tenant.id) for _, value in POISON_EVENTS]
    async with private_recorder(settings, db) as rec:
        events = topics.PLAYBACK_EVENTS
        first = await rec.publish(events, [orjson.dumps(good[0])])
        poison_offsets = await rec.publish(events, poison)
        last = await rec.publish(events, [orjson.dumps(g) for g in good[1:]])

        async def stored() -> bool:
            n = await db.fetchval("SELECT count(*) FROM playback_events WHERE tenant_id = $1",
                                  tenant.id)
            return bool(n == len(good))

        await rec.until("the good events around the poison", stored)
        await rec.until("the batch committed",
                        lambda: _equals(rec.committed(events), last[-1] + 1))
        rec.alive()
        letters = await dead_letters_of(settings, rec.topic(events))
    assert first[0] < poison_offsets[0] < last[0]
    by_offset = {letter["offset"]: letter for letter in letters}
    for (what, _), offset, raw in zip(POISON_EVENTS, poison_offsets, poison, strict=True):
        letter = by_offset.get(offset)
        assert letter is not None, f"{what}: not dead-lettered"
        assert letter["partition"] == 0 and letter["reason"], what
        assert letter["consumer_group"] == rec.group, what
        original = None if letter["value"] is None else base64.b64decode(letter["value"])
        assert original == raw, what
    assert set(by_offset) == set(poison_offsets)  # the good ones are not dead letters


async def _equals(value: Any, expected: Any) -> bool:
    return bool(await value == expected)


async def video_and_enrollment(db: asyncpg.Pool, tenant_id: int) -> tuple[int, int]:
    """A video and an enrollment of the tenant (progress and session rows need both)."""
    async with db.acquire() as conn, conn.transaction():
        lecture = await conn.fetchval(
            "INSERT INTO lectures (tenant_id, title) VALUES ($1, 'l') RETURNING id", tenant_id)
        meeting = await conn.fetchval(
            "INSERT INTO sessions (tenant_id, lecture_id, title) VALUES ($1, $2, 'w') "
            "RETURNING id", tenant_id, lecture)
        video = await conn.fetchval(
            "INSERT INTO videos (tenant_id, session_id, title) VALUES ($1, $2, 'v') RETURNING id",
            tenant_id, meeting)
        student = await conn.fetchval(
            "INSERT INTO students (tenant_id, user_id, name) VALUES ($1, 'u', 'U') RETURNING id",
            tenant_id)
        enrollment = await conn.fetchval(
            "INSERT INTO enrollments (tenant_id, student_id, lecture_id) VALUES ($1, $2, $3) "
            "RETURNING id", tenant_id, student, lecture)
    return video, enrollment


async def test_poison_on_every_recorded_topic_leaves_the_rest_stored(
        settings: Any, db: asyncpg.Pool, make_tenant: Any) -> None:
    tenant = await make_tenant()
    video, enrollment = await video_and_enrollment(db, tenant.id)
    event = PlaybackEventV1(
        event_id=str(uuid.uuid4()), tenant="t", tenant_id=tenant.id, user_id="u",
        video_id=video, enrollment_id=enrollment, session_id="s-all", event_type="SEEK_ATTEMPT",
        occurred_at=T0, received_at=T0)
    verdict = ViolationV1(
        event_id=event.event_id, tenant="t", tenant_id=tenant.id, user_id="u", video_id=video,
        enrollment_id=enrollment, session_id="s-all", event_type="SEEK_ATTEMPT",
        reason="seek_not_allowed", occurred_at=T0, session_violations=1, action="audit")
    progress = ProgressV1(
        tenant="t", tenant_id=tenant.id, user_id="u", video_id=video, enrollment_id=enrollment,
        session_id="s-all", progress=0.5, watched_seconds=30.0, last_position=30.0,
        completed=False, intervals=[[0.0, 30.0]], milestones=[50], at=T0)
    opened = SessionLifecycleV1(
        event_id=str(uuid.uuid4()), kind="opened", tenant="t", tenant_id=tenant.id,
        user_id="u", session_id=f"s-all-{uuid.uuid4().hex}", video_id=video,
        enrollment_id=enrollment, device_id="laptop", at=T0)

    def spoiled(value: Any, **changes: Any) -> bytes:
        return orjson.dumps({**dataclasses.asdict(value), **changes})

    poison = {
        topics.VIOLATIONS: [spoiled(verdict, occurred_at=1e12),
                            spoiled(verdict, reason="a\u0000b")],
        topics.PROGRESS: [spoiled(progress, at=1e12), spoiled(progress, last_position=1e300),
                          spoiled(progress, enrollment_id=2**64 - 1)],
        topics.SESSION_LIFECYCLE: [spoiled(opened, at=-1e12),
                                   spoiled(opened, device_id="d\u0000"),
                                   spoiled(opened, device_id="d" * 5000)],
    }
    good = {topics.PLAYBACK_EVENTS: event, topics.VIOLATIONS: verdict,
            topics.PROGRESS: progress, topics.SESSION_LIFECYCLE: opened}
    async with private_recorder(settings, db) as rec:
        offsets = {spec: await rec.publish(spec, values) for spec, values in poison.items()}
        for spec, value in good.items():
            await rec.publish(spec, [value])

        async def all_stored() -> bool:
            row = await db.fetchrow(
                """SELECT (SELECT violated FROM playback_events WHERE id = $1) AS violated,
                          (SELECT progress FROM video_progress WHERE video_id = $2) AS progress,
                          (SELECT device_id FROM playback_sessions WHERE session_id = $3)
                              AS device""",
                uuid.UUID(event.event_id), video, opened.session_id)
            return bool(row["violated"] and row["progress"] == 0.5 and row["device"] == "laptop")

        await rec.until("the good message of every topic", all_stored)
        for spec, sent in offsets.items():
            await rec.until(f"{spec.name} committed",
                            lambda spec=spec, sent=sent: _equals(rec.committed(spec),
                                                                 sent[-1] + 2))
            letters = await dead_letters_of(settings, rec.topic(spec))
            assert sorted(letter["offset"] for letter in letters) == sent, spec.name


async def test_a_row_postgresql_refuses_for_its_data_is_dead_lettered(
        settings: Any, db: asyncpg.Pool, make_tenant: Any) -> None:
    # Rows that pass every conversion and that PostgreSQL itself refuses: a CHECK constraint
    # (23514) and an expression that divides by zero for one row (22012), both NOT VALID so
    # only new rows meet them, and both about this test's rows only.
    tenant = await make_tenant()
    run = uuid.uuid4().hex[:8]
    checked, divided = f"REFUSED_{run}", f"DIVIDED_{run}"
    await db.execute(
        f"ALTER TABLE playback_events ADD CONSTRAINT test_refused_{run} "
        f"CHECK (event_type <> '{checked}') NOT VALID")
    await db.execute(
        f"ALTER TABLE playback_events ADD CONSTRAINT test_divided_{run} CHECK (CASE WHEN "
        f"event_type = '{divided}' THEN 1 / (length(event_type) - length(event_type)) = 1 "
        f"ELSE true END) NOT VALID")
    good = [_event(tenant.id) for _ in range(3)]
    refused = [_event(tenant.id, event_type=checked), _event(tenant.id, event_type=divided)]
    try:
        async with private_recorder(settings, db) as rec:
            events = topics.PLAYBACK_EVENTS
            offsets = await rec.publish(events, [orjson.dumps(v) for v in (
                good[0], refused[0], good[1], refused[1], good[2])])

            async def stored() -> bool:
                n = await db.fetchval(
                    "SELECT count(*) FROM playback_events WHERE tenant_id = $1", tenant.id)
                return bool(n == len(good))

            await rec.until("the rest of the batch", stored)
            await rec.until("the batch committed",
                            lambda: _equals(rec.committed(events), offsets[-1] + 1))
            letters = await dead_letters_of(settings, rec.topic(events))
    finally:
        for name in (f"test_refused_{run}", f"test_divided_{run}"):
            await db.execute(f"ALTER TABLE playback_events DROP CONSTRAINT IF EXISTS {name}")
    assert [(d["offset"], d["sqlstate"], d["reason_class"]) for d in letters] == [
        (offsets[1], "23514", "sqlstate_23"), (offsets[3], "22012", "sqlstate_22")]
    assert orjson.loads(base64.b64decode(letters[0]["value"])) == refused[0]
    assert "test_refused_" in letters[0]["reason"]
