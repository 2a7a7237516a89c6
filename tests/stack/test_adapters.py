"""Adapters against the real services: topics, bucket, tenants, demo data, the tail CLI."""

from __future__ import annotations

import dataclasses
import io
import uuid

import asyncpg
import pytest

from config.settings import Settings
from storage.demo import ensure_demo_tenant
from storage.objects import open_object_store
from storage.tenants import TenantRepository
from streams import topics
from streams.admin import ensure_topics
from streams.exceptions import StreamsError
from streams.publisher import Publisher
from streams.tail import tail

pytestmark = pytest.mark.stack


def scratch_topic() -> topics.TopicSpec:
    return topics.TopicSpec(name=f"test.scratch-{uuid.uuid4().hex[:8]}.v1", key="k",
                            schema=dict, retention_ms=3_600_000)


async def test_topics_are_created_once(settings: Settings) -> None:
    spec = scratch_topic()
    assert await ensure_topics(settings, (spec,)) == [spec.name]
    assert await ensure_topics(settings, (spec,)) == []


async def test_a_partition_mismatch_is_an_error(settings: Settings) -> None:
    spec = scratch_topic()
    await ensure_topics(settings, (spec,))
    other = dataclasses.replace(settings, kafka_partitions=settings.kafka_partitions + 1)
    with pytest.raises(StreamsError, match="partitions"):
        await ensure_topics(other, (spec,))


async def test_tail_prints_what_was_published(settings: Settings) -> None:
    spec = scratch_topic()
    await ensure_topics(settings, (spec,))
    publisher = await Publisher.start(settings, client_id="test")
    try:
        await publisher.publish(spec, [(b"k1", {"n": 1}), (b"k1", {"n": 2}), (b"k1", {"n": 3})])
    finally:
        await publisher.stop()
    out = io.StringIO()
    printed = await tail(settings.kafka_bootstrap_servers, spec.name, offset=1, since_ms=None,
                         limit=None, follow=False, out=out)
    lines = out.getvalue().splitlines()
    assert printed == 2 and len(lines) == 2
    assert '"value":{"n":2}' in lines[0] and '"key":"k1"' in lines[0]


async def test_bucket_creation_is_idempotent(settings: Settings) -> None:
    other = dataclasses.replace(settings, s3_bucket=f"test-{uuid.uuid4().hex[:10]}")
    async with open_object_store(other) as store:
        assert await store.ensure_bucket() is True
        assert await store.ensure_bucket() is False
        await store.ping()


async def test_tenants_are_created_on_first_sight_only(db: asyncpg.Pool) -> None:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    repo = TenantRepository(db)
    first = await repo.ensure(slug)
    assert (await repo.ensure(slug)).id == first.id
    assert first.slug == slug and first.settings == {}


async def test_the_demo_tenant_is_idempotent(db: asyncpg.Pool) -> None:
    first = await ensure_demo_tenant(db)
    assert await ensure_demo_tenant(db) == first
    linked = await db.fetchval(
        """SELECT count(*) FROM session_enrollments se JOIN enrollments e ON e.id = se.enrollment_id
           WHERE se.session_id = $1 AND e.student_id = $2 AND e.status = 'ACTIVE'""",
        first.session_id, first.student_id)
    assert linked == 1
