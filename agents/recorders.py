"""Recorders: write player events, their verdicts, progress and session lifecycle to PostgreSQL.

A plain aiokafka consumer group in its own process (``python -m agents.recorders``), not a
Faust agent: a recorder keeps no table, and it reads the gateway's own topic, so an accepted
event reaches the audit trail in one hop whatever happens to the stream processors (the
player-events agent's verdicts follow on the violations topic). Each poll's messages are
written in one transaction, then their offsets are committed, so a crash replays the batch and
the idempotent writes (keyed by ids) store it once.

No message can stop them: each becomes a row through total conversions
(:mod:`storage.columns`) or a dead letter; a row PostgreSQL refuses for its data (SQLSTATE
classes 22, 23) is dead-lettered and the rest of the batch written. Dead letters are
acknowledged by Kafka before the commit. Any other failure (see :mod:`policy.db_faults`) retries
the whole batch with backoff, partitions paused but the consumer polling (so the group keeps
it), and nothing is committed past it until it is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from config.entry import settings_or_exit
from config.settings import Settings
from policy.db_faults import Fault, classify, reason_class
from storage import audit, playback_sessions, progress_records
from storage.db import create_pool
from streams import codecs, dead_letters, topics
from streams.dead_letters import DeadLetters
from streams.exceptions import DecodeError
from streams.publisher import Publisher
from streams.schemas import DeadLetterV1
from streams.topics import TopicSpec

log = logging.getLogger("agents.recorders")
Write = Callable[[asyncpg.Connection, Sequence[Any]], Awaitable[None]]

BATCH_MAX = 2000
POLL_MS = 200
RETRY_FIRST_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Sink:
    """A recorded topic: how a decoded value becomes a row, and how rows are written."""

    spec: TopicSpec
    row: Callable[[Any], Any]  # total: a row, or storage.columns.Unstorable
    write: Write  # within the caller's transaction; replays change nothing


# In this order within a poll: an event is written before its verdict when both are in hand.
SINKS = (
    Sink(topics.PLAYBACK_EVENTS, audit.event_row, audit.write_events),
    Sink(topics.VIOLATIONS, audit.verdict_row, audit.write_verdicts),
    Sink(topics.PROGRESS, progress_records.progress_row, progress_records.write),
    Sink(topics.SESSION_LIFECYCLE, playback_sessions.lifecycle_row, playback_sessions.write),
)


def group_id(settings: Settings) -> str:
    """The recorders' consumer group (one per deployment, beside the Faust app's)."""
    return f"{settings.agents_app_id}-recorders"


@dataclass(frozen=True, slots=True)
class Pending:
    """A message that became a row, kept with its record in case PostgreSQL refuses it."""

    record: ConsumerRecord
    row: Any


@dataclass(frozen=True, slots=True)
class Batch:
    """One poll: rows to write by sink, and the dead letters of what made no row."""

    rows: list[tuple[Sink, list[Pending]]]
    letters: list[DeadLetterV1]


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "sqlstate", None) if isinstance(exc, asyncpg.PostgresError) else None


class Recorder:
    """Polls the sinks' topics and writes what each poll returned, then commits it.

    A message no row can be made of, or whose row PostgreSQL refuses for its data, is
    dead-lettered and the rest is written. Any other failure (see :mod:`policy.db_faults`) is
    retried with backoff, the partitions paused and the consumer still polling so the group
    keeps it; the batch is never committed past until it is stored.
    """

    def __init__(self, settings: Settings, pool: asyncpg.Pool,
                 sinks: Sequence[Sink] = SINKS) -> None:
        self._settings = settings
        self._pool = pool
        self._sinks = {sink.spec.name: sink for sink in sinks}
        self._group = group_id(settings)

    async def run(self, stop: asyncio.Event) -> None:
        """Record until ``stop`` is set; the batch in hand is finished first (or left)."""
        consumer = AIOKafkaConsumer(
            *self._sinks, bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self._group, enable_auto_commit=False,
            auto_offset_reset="earliest", max_poll_records=BATCH_MAX,
            client_id="lecturecast-recorders")
        publisher = await Publisher.start(self._settings, "lecturecast-recorders")
        dead = DeadLetters(publisher)
        ready = False
        try:
            await consumer.start()
            while not stop.is_set():
                polled = await consumer.getmany(timeout_ms=POLL_MS, max_records=BATCH_MAX)
                if not ready and consumer.assignment():
                    ready = True
                    log.info("recorders ready", extra={"topics": sorted(self._sinks)})
                if polled and await self._store(consumer, polled, dead, stop):
                    await _commit(consumer, polled)
        finally:
            await consumer.stop()
            await publisher.stop()

    def prepare(self, polled: dict[TopicPartition, list[ConsumerRecord]]) -> Batch:
        """Decode and convert a poll (pure): rows by sink, dead letters for the rest."""
        rows: list[tuple[Sink, list[Pending]]] = []
        letters: list[DeadLetterV1] = []
        for name, sink in self._sinks.items():
            pending: list[Pending] = []
            for tp, records in polled.items():
                if tp.topic != name:
                    continue
                for record in records:
                    try:
                        if record.value is None:
                            raise DecodeError("no value (a tombstone)")
                        pending.append(Pending(
                            record, sink.row(codecs.decode(record.value, sink.spec.schema))))
                    except DecodeError as exc:
                        letters.append(self._letter(record, "decode", str(exc)))
                    except Exception as exc:  # noqa: BLE001 - pure code: the message's fault
                        letters.append(self._letter(record, "convert", str(exc) or repr(exc)))
            if pending:
                rows.append((sink, pending))
        return Batch(rows, letters)

    async def write(self, batch: Batch) -> list[DeadLetterV1]:
        """Write a batch in one transaction; the letters of rows refused for their data.

        Any other failure raises, and nothing of the batch is committed.
        """
        refused: list[DeadLetterV1] = []
        async with self._pool.acquire() as conn, conn.transaction():
            try:
                async with conn.transaction():  # a savepoint: a refusal keeps the transaction
                    for sink, pending in batch.rows:
                        await sink.write(conn, [p.row for p in pending])
                return refused
            except asyncpg.PostgresError as exc:
                if classify(_sqlstate(exc)) is not Fault.DATA:
                    raise
                log.warning("recorder batch refused, writing it row by row",
                            extra={"reason": str(exc), "sqlstate": _sqlstate(exc)})
            for sink, pending in batch.rows:
                for p in pending:
                    try:
                        async with conn.transaction():
                            await sink.write(conn, [p.row])
                    except asyncpg.PostgresError as exc:
                        state = _sqlstate(exc)
                        if state is None or classify(state) is not Fault.DATA:
                            raise
                        refused.append(self._letter(p.record, reason_class(state), str(exc),
                                                    state))
        return refused

    def _letter(self, record: ConsumerRecord, kind: str, reason: str,
                sqlstate: str = "") -> DeadLetterV1:
        log.error("recorder dead-lettered a message", extra={
            "topic": record.topic, "partition": record.partition, "offset": record.offset,
            "reason_class": kind, "reason": reason[:500]})
        return dead_letters.letter(
            topic=record.topic, partition=record.partition, offset=record.offset,
            key=record.key, value=record.value, group=self._group, reason_class=kind,
            reason=reason, at=time.time(), sqlstate=sqlstate)

    async def _store(self, consumer: AIOKafkaConsumer,
                     polled: dict[TopicPartition, list[ConsumerRecord]], dead: DeadLetters,
                     stop: asyncio.Event) -> bool:
        """Write a poll and publish its dead letters, retrying until both are done.

        False when the poll is no longer ours to commit: stopped, or a rebalance took one of
        its partitions (their new owner writes them again, idempotently).
        """
        batch = self.prepare(polled)
        delay = RETRY_FIRST_SECONDS
        try:
            while True:
                try:
                    refused = await self.write(batch)
                    await dead.send(batch.letters + refused)  # acks=all, before the commit
                    return True
                except Exception as exc:  # noqa: BLE001 - policy.db_faults: all but data
                    log.warning("recorder batch not stored, retrying", extra={
                        "reason": repr(exc)[:500], "sqlstate": _sqlstate(exc),
                        "retry_in": delay})
                if not await _wait_polling(consumer, polled, delay, stop):
                    return False
                delay = min(RETRY_MAX_SECONDS, delay * 2)
        finally:
            consumer.resume(*consumer.assignment())


async def _wait_polling(consumer: AIOKafkaConsumer,
                        polled: dict[TopicPartition, list[ConsumerRecord]], seconds: float,
                        stop: asyncio.Event) -> bool:
    """Wait before a retry, polling with every partition paused (the group keeps a consumer
    that polls); False if the poll is no longer ours (stop, or a partition taken away)."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        if stop.is_set():
            return False
        consumer.pause(*consumer.assignment())
        slot = min(remaining, POLL_MS / 1000)
        started = time.monotonic()
        for tp, records in (await consumer.getmany(timeout_ms=int(slot * 1000))).items():
            consumer.seek(tp, records[0].offset)  # assigned meanwhile: read it again later
        left = slot - (time.monotonic() - started)
        if left > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), left)
    if stop.is_set():
        return False
    if all(tp in consumer.assignment() for tp in polled):
        return True
    for tp, records in polled.items():  # still ours: read again from the batch's start
        if tp in consumer.assignment():
            consumer.seek(tp, records[0].offset)
    log.warning("recorder batch left to the partitions' new owner")
    return False


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
