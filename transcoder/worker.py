"""The transcoder's consumer loop: take jobs from Kafka, handle them, then commit.

Offsets are committed only after a job is handled, so a worker killed mid-job leaves the job
to the next worker of the group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer

from config.settings import Settings
from streams import codecs, topics
from streams.exceptions import DecodeError
from streams.schemas import TranscodeJobV1

log = logging.getLogger(__name__)

GROUP_ID = "lecturecast-transcoder"
JobHandler = Callable[[TranscodeJobV1], Awaitable[None]]


async def run_worker(settings: Settings, handle: JobHandler, stop: asyncio.Event) -> None:
    """Consume jobs until ``stop`` is set; one job at a time per worker process."""
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
    log.info("transcoder waiting for jobs", extra={"topic": topics.TRANSCODE_JOBS.name})
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=1)
            for records in batch.values():
                for record in records:
                    try:
                        job = codecs.decode(record.value, TranscodeJobV1)
                    except DecodeError as exc:
                        log.error("dropping undecodable job", extra={"reason": str(exc)})
                    else:
                        await handle(job)
                    await consumer.commit()
    finally:
        await consumer.stop()
