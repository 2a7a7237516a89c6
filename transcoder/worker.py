"""The transcoder's consumer loop: take jobs from Kafka, handle them, then commit.

At most ``TRANSCODER_CONCURRENCY`` jobs run at once, each from a different partition: a
partition is paused while its job runs, so the jobs of one video (one key, one partition) run
in order and an offset is committed only after its job is handled. A worker killed mid-job
therefore leaves the job to the next worker of the group. Stopping (SIGTERM) cancels running
jobs without committing them, for the same reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from config.settings import Settings
from policy.db_faults import Fault, classify, reason_class
from streams import codecs, dead_letters, topics
from streams.dead_letters import DeadLetters
from streams.exceptions import DecodeError, PublishError
from streams.publisher import Publisher
from streams.schemas import TranscodeJobV1

log = logging.getLogger(__name__)

GROUP_ID = "lecturecast-transcoder"
RETRY_BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0)
JobHandler = Callable[[TranscodeJobV1], Awaitable[None]]


async def _dead_letter(consumer: AIOKafkaConsumer, tp: TopicPartition, record: ConsumerRecord,
                       dead: DeadLetters, kind: str, reason: str, sqlstate: str = "") -> bool:
    """Publish the record's dead letter (acked before its offset is committed); False if
    ``tp`` was taken away meanwhile."""
    letter = dead_letters.letter(
        topic=record.topic, partition=record.partition, offset=record.offset, key=record.key,
        value=record.value, group=GROUP_ID, reason_class=kind, reason=reason, at=time.time(),
        sqlstate=sqlstate)
    log.error("job dead-lettered", extra={"offset": record.offset, "reason": reason[:500]})
    failures = 0
    while True:
        try:
            await dead.send([letter])
            return True
        except PublishError as exc:
            wait = RETRY_BACKOFF_SECONDS[min(failures, len(RETRY_BACKOFF_SECONDS) - 1)]
            log.warning("dead letter not published; retrying", extra={"reason": repr(exc)})
            failures += 1
            await asyncio.sleep(wait)
            if tp not in consumer.assignment():
                return False


async def _handle_until_done(consumer: AIOKafkaConsumer, tp: TopicPartition,
                             record: ConsumerRecord, handle: JobHandler,
                             dead: DeadLetters) -> bool:
    """Handle one record, retrying infrastructure failures; False if ``tp`` was taken away.

    A job that does not decode, or that PostgreSQL refuses for its data (SQLSTATE 22, 23),
    is dead-lettered and skipped: no retry can get it through.
    """
    try:
        if record.value is None:
            raise DecodeError("no value (a tombstone)")
        job = codecs.decode(record.value, TranscodeJobV1)
    except DecodeError as exc:
        return await _dead_letter(consumer, tp, record, dead, "decode", str(exc))
    failures = 0
    while True:
        try:
            await handle(job)
            return True
        except Exception as exc:  # Redis/PostgreSQL/Kafka away: the job stays ours, try again
            sqlstate = getattr(exc, "sqlstate", None)
            if isinstance(exc, asyncpg.PostgresError) and classify(sqlstate) is Fault.DATA:
                return await _dead_letter(consumer, tp, record, dead, reason_class(sqlstate),
                                          str(exc), sqlstate)
            wait = RETRY_BACKOFF_SECONDS[min(failures, len(RETRY_BACKOFF_SECONDS) - 1)]
            log.exception("job not handled; retrying",
                          extra={"video_id": job.video_id, "job_id": job.job_id,
                                 "retry_in": wait})
            failures += 1
            await asyncio.sleep(wait)
            if tp not in consumer.assignment():
                return False  # its new owner redoes it


async def _commit(consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> bool:
    for wait in (*RETRY_BACKOFF_SECONDS[:3], None):
        try:
            await consumer.commit({tp: offset})
            return True
        except KafkaError as exc:
            log.warning("offset not committed", extra={"partition": tp.partition,
                                                      "reason": repr(exc)})
            if wait is None or tp not in consumer.assignment():
                return False
            await asyncio.sleep(wait)
    return False


async def _run_partition(consumer: AIOKafkaConsumer, tp: TopicPartition,
                         records: list[ConsumerRecord], handle: JobHandler,
                         dead: DeadLetters) -> bool:
    """Handle and commit the records in order; False if it stopped before the last one."""
    for record in records:
        if not await _handle_until_done(consumer, tp, record, handle, dead):
            return False
        if not await _commit(consumer, tp, record.offset + 1):
            # Reassigned: the new owner gets the job again and skips it (done mark). Still
            # ours: the loop rewinds to the committed offset and the job is skipped the same way.
            return False
    return True


async def _rewind(consumer: AIOKafkaConsumer, tp: TopicPartition,
                  exc: BaseException | None) -> None:
    """Go back to the partition's committed offset: its uncommitted jobs are redone."""
    log.warning("partition stopped early; its uncommitted jobs will be redone", exc_info=exc,
                extra={"partition": tp.partition})
    committed = await consumer.committed(tp)
    if committed is None:
        await consumer.seek_to_beginning(tp)
    else:
        consumer.seek(tp, committed)


async def run_worker(settings: Settings, handle: JobHandler, stop: asyncio.Event) -> None:
    """Consume jobs until ``stop`` is set."""
    consumer = AIOKafkaConsumer(
        topics.TRANSCODE_JOBS.name,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=GROUP_ID,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # A transcode can take many minutes between polls; don't get kicked out of the group.
        max_poll_interval_ms=60 * 60 * 1000,
    )
    await consumer.start()
    publisher = await Publisher.start(settings, client_id=f"{GROUP_ID}-dead-letters")
    dead = DeadLetters(publisher)
    log.info("transcoder waiting for jobs", extra={
        "topic": topics.TRANSCODE_JOBS.name, "concurrency": settings.transcoder_concurrency})
    running: dict[TopicPartition, asyncio.Task[bool]] = {}
    try:
        while not stop.is_set():
            free = settings.transcoder_concurrency - len(running)
            if free > 0:
                batch = await consumer.getmany(timeout_ms=500, max_records=free)
                for tp, records in batch.items():
                    consumer.pause(tp)
                    if tp in running:  # given back to us while its old job still runs
                        consumer.seek(tp, records[0].offset)
                        continue
                    running[tp] = asyncio.create_task(
                        _run_partition(consumer, tp, records, handle, dead))
            else:
                await asyncio.wait(running.values(), timeout=0.5,
                                   return_when=asyncio.FIRST_COMPLETED)
            for tp, task in list(running.items()):
                if task.done():
                    del running[tp]
                    if tp in consumer.assignment():
                        if task.exception() is not None or not task.result():
                            await _rewind(consumer, tp, task.exception())
                        consumer.resume(tp)
    finally:
        for task in running.values():
            task.cancel()
        for task in running.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await consumer.stop()
        await publisher.stop()
