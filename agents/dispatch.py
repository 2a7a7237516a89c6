"""The dispatch agent: transcode requests become jobs; job results move the video row.

Requests and results are both keyed ``{tenant}:{video_id}``, so one agent instance sees all of
a video's messages in order and keeps its tracking in the ``transcodes`` table. Per message:
read the row's status -> decide (pure, :mod:`policy.transcode`) -> effects (row update, job
sent and acknowledged) -> table write. The effects are idempotent, so a crash before the table
write replays the same decision harmlessly.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import faust

from agents.dead_letters import AgentDeadLetters, Refused, until_done
from config.settings import Settings
from policy import transcode as policy
from policy.transcode import Effect, Step, Tracking
from storage.db import create_pool
from storage.transcodes import TranscodeRows
from streams import codecs, topics
from streams.app import faust_table, faust_topic
from streams.schemas import TranscodeJobV1, TranscodeRequestV1, TranscodeResultV1

log = logging.getLogger(__name__)
TABLE_NAME = "transcodes"
T = TypeVar("T")


async def retrying(what: str, action: Callable[[], Awaitable[T]]) -> T:
    """Run ``action`` until PostgreSQL and Kafka let it through (the partition waits);
    :class:`~agents.dead_letters.Refused` when PostgreSQL refuses the message's data."""
    return await until_done(what, action)


class Dispatcher:
    """The effects of the agent's decisions."""

    def __init__(self, rows: TranscodeRows, jobs: faust.TopicT, settings: Settings) -> None:
        self.rows = rows
        self.jobs = jobs
        self.settings = settings

    async def send_job(self, key: bytes, tenant: str, tenant_id: int, video_id: int,
                       job_id: str, attempt: int) -> None:
        """Publish a job (with the tenant's current encryption choice) and wait for the ack."""
        source_key = await self.rows.source_key(tenant_id, video_id)
        if not source_key:
            log.info("video %s gone before its job was sent", video_id)
            return
        if not await self.rows.job_sent(tenant_id, video_id, job_id, attempt):
            log.info("video %s no longer PROCESSING; job %s not sent", video_id, job_id)
            return
        tenant_settings = await self.rows.tenant_settings(self.settings.tenant_defaults,
                                                          tenant_id)
        job = TranscodeJobV1(job_id=job_id, tenant=tenant, tenant_id=tenant_id,
                             video_id=video_id, source_key=source_key, attempt=attempt,
                             hls_encryption=tenant_settings.hls_encryption)
        # force: publish now rather than when the offset is committed (Faust attachments).
        sent = await self.jobs.send(key=key, value=codecs.encode(job), force=True)
        await sent

    async def request(self, key: bytes, state: Tracking, req: TranscodeRequestV1) -> Step:
        """Decide and apply a transcode request."""
        step = policy.on_request(state, req.request_id,
                                 await self.rows.status(req.tenant_id, req.video_id))
        if step.effect is Effect.START and await self.rows.start(req.tenant_id, req.video_id):
            await self.send_job(key, req.tenant, req.tenant_id, req.video_id, step.job_id,
                                step.attempt)
        return step

    async def result(self, key: bytes, state: Tracking, res: TranscodeResultV1) -> Step:
        """Decide and apply a worker's result."""
        step = policy.on_result(state, res, await self.rows.status(res.tenant_id, res.video_id))
        t, v = res.tenant_id, res.video_id
        if step.effect is Effect.PROGRESS:
            await self.rows.progress(t, v, res.progress)
        elif step.effect is Effect.READY:
            await self.rows.ready(t, v, duration=res.duration, thumbnail_key=res.thumbnail_key,
                                  renditions=res.renditions)
        elif step.effect is Effect.RETRY:
            await self.send_job(key, res.tenant, t, v, step.job_id, step.attempt)
        elif step.effect is Effect.FAIL:
            await self.rows.failed(t, v, policy.failure_reason(res))
        return step


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the dispatch agent and its table to ``app``."""
    source = app.topic(topics.TRANSCODE_REQUESTS.name, topics.TRANSCODE_RESULTS.name,
                       key_type=bytes, value_type=bytes, key_serializer="raw",
                       value_serializer="raw", partitions=settings.kafka_partitions)
    jobs = faust_topic(app, topics.TRANSCODE_JOBS, settings)
    table = faust_table(app, TABLE_NAME, settings)
    dead = AgentDeadLetters(app, settings)

    @app.agent(source, name="dispatch", concurrency=1)
    async def dispatch(stream: faust.StreamT[bytes]) -> None:
        """Requests and results of one video, in order: decide, apply, remember."""
        pool = await create_pool(settings, min_size=1, max_size=2)
        dispatcher = Dispatcher(TranscodeRows(pool), jobs, settings)
        try:
            async for event in stream.events():
                key = event.key
                state = policy.decode_state(table.get(key))
                try:
                    if event.message.topic == topics.TRANSCODE_RESULTS.name:
                        res = await dead.decode(event, TranscodeResultV1)
                        if res is None:
                            continue
                        step = await retrying("transcode result", lambda: dispatcher.result(
                            key, state, res))
                    else:
                        req = await dead.decode(event, TranscodeRequestV1)
                        if req is None:
                            continue
                        step = await retrying("transcode request", lambda: dispatcher.request(
                            key, state, req))
                except Refused as exc:
                    await dead.refused(event, exc)
                    continue
                if step.note:  # in the message: Faust's log format drops extra fields
                    log.info("transcode message for %s ignored: %s",
                             key.decode(errors="replace"), step.note)
                if step.effect is not Effect.PROGRESS:
                    table[key] = policy.encode_state(step.state)
        finally:
            await pool.close()

    return dispatch
