"""Recorders: write player events, their verdicts, progress and session lifecycle to PostgreSQL.

A plain aiokafka consumer group in its own process (``python -m agents.recorders``), not a
Faust agent: a recorder keeps no table, and it reads the gateway's own topic, so an accepted
event reaches the audit trail in one hop whatever happens to the stream processors (the
player-events agent's verdicts follow on the violations topic). Each poll's messages are
written in one transaction, then their offsets are committed, so a crash replays the batch and
the idempotent writes (keyed by ids) store it once.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from config.entry import settings_or_exit
from config.settings import Settings
from storage import playback_sessions, progress_records
from storage.audit import record_events, record_verdicts
from storage.db import create_pool
from streams import codecs, topics
from streams.topics import TopicSpec

log = logging.getLogger("agents.recorders")
T = TypeVar("T")
Write = Callable[[asyncpg.Connection, Sequence[Any]], Awaitable[None]]

BATCH_MAX = 2000
POLL_MS = 200
RETRY_MAX_SECONDS = 5.0
# The database is away (restart, network): wait and write the same batch again.
TRANSIENT = (OSError, asyncio.TimeoutError, asyncpg.InterfaceError,
             asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError)


@dataclass(frozen=True, slots=True)
class Sink:
    """A recorded topic and the repository function that writes a batch of it."""

    spec: TopicSpec
    write: Write


# In this order within a poll: an event is written before its verdict when both are in hand.
SINKS = (
    Sink(topics.PLAYBACK_EVENTS, record_events),
    Sink(topics.VIOLATIONS, record_verdicts),
    Sink(topics.PROGRESS, progress_records.record),
    Sink(topics.SESSION_LIFECYCLE, playback_sessions.record),
)


def group_id(settings: Settings) -> str:
    """The recorders' consumer group (one per deployment, beside the Faust app's)."""
    return f"{settings.agents_app_id}-recorders"


def decode_batch(raw_values: Sequence[bytes], schema: type[T]) -> list[T]:
    """Decode a batch, dropping (and logging) values that do not match the schema."""
    decoded = (codecs.decode_or_log(raw, schema, log) for raw in raw_values)
    return [value for value in decoded if value is not None]


class Recorder:
    """Polls the sinks' topics and writes what each poll returned, then commits it."""

    def __init__(self, settings: Settings, pool: asyncpg.Pool,
                 sinks: Sequence[Sink] = SINKS) -> None:
        self._settings = settings
        self._pool = pool
        self._sinks = {sink.spec.name: sink for sink in sinks}

    async def run(self, stop: asyncio.Event) -> None:
        """Record until ``stop`` is set; the batch in hand is finished first."""
        consumer = AIOKafkaConsumer(
            *self._sinks, bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=group_id(self._settings), enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=BATCH_MAX,
            client_id="lecturecast-recorders")
        await consumer.start()
        ready = False
        try:
            while not stop.is_set():
                polled = await consumer.getmany(timeout_ms=POLL_MS, max_records=BATCH_MAX)
                if not ready and consumer.assignment():
                    ready = True
                    log.info("recorders ready", extra={"topics": sorted(self._sinks)})
                if polled:
                    await self.write(polled, stop)
                    await _commit(consumer, polled)
        finally:
            await consumer.stop()

    async def write(self, polled: dict[TopicPartition, list[ConsumerRecord]],
                    stop: asyncio.Event | None = None) -> None:
        """Write one poll in one transaction, retrying while the database is unreachable."""
        batches = self._decode(polled)
        delay = 0.2
        while True:
            try:
                await self._write_or_isolate(batches)
                return
            except TRANSIENT as exc:
                if stop is not None and stop.is_set():
                    raise  # not committed: the next owner writes it
                log.warning("recorder write failed, retrying", extra={"reason": repr(exc)})
            await asyncio.sleep(delay)
            delay = min(RETRY_MAX_SECONDS, delay * 2)

    def _decode(self, polled: dict[TopicPartition, list[ConsumerRecord]]
                ) -> list[tuple[Sink, list[Any]]]:
        raw: dict[str, list[bytes]] = {name: [] for name in self._sinks}
        for tp, records in polled.items():
            raw[tp.topic].extend(r.value for r in records if r.value is not None)
        return [(sink, decode_batch(raw[name], sink.spec.schema))
                for name, sink in self._sinks.items() if raw[name]]

    async def _write_all(self, batches: list[tuple[Sink, list[Any]]]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            for sink, values in batches:
                if values:
                    await sink.write(conn, values)

    async def _write_or_isolate(self, batches: list[tuple[Sink, list[Any]]]) -> None:
        try:
            await self._write_all(batches)
        except TRANSIENT:
            raise
        except asyncpg.PostgresError as exc:
            # One bad row must not block the topic forever: find it, log it, keep the rest.
            log.error("recorder batch refused, writing one by one", extra={"reason": repr(exc)})
            for sink, values in batches:
                for value in values:
                    await self._write_one(sink, value)

    async def _write_one(self, sink: Sink, value: Any) -> None:
        try:
            await self._write_all([(sink, [value])])
        except TRANSIENT:
            raise
        except asyncpg.PostgresError as exc:
            log.error("recorder dropped a message PostgreSQL refuses", extra={
                "topic": sink.spec.name, "reason": repr(exc), "value": repr(value)[:500]})


async def _commit(consumer: AIOKafkaConsumer,
                  polled: dict[TopicPartition, list[ConsumerRecord]]) -> None:
    offsets = {tp: records[-1].offset + 1 for tp, records in polled.items() if records}
    try:
        await consumer.commit(offsets)
    except (CommitFailedError, KafkaError) as exc:
        # A rebalance took the partitions: their new owner rewrites the batch (idempotent).
        log.warning("recorder commit failed", extra={"reason": repr(exc)})


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the recorders with their own pool until ``stop``."""
    pool = await create_pool(settings, min_size=1, max_size=2)
    try:
        await Recorder(settings, pool).run(stop)
    finally:
        await pool.close()


def main() -> int:
    """``python -m agents.recorders``: settings from the environment, run until SIGTERM."""
    settings = settings_or_exit("recorders")

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(_main())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
