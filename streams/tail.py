"""``python -m streams.tail TOPIC``: print a topic as JSON lines, for analytics and debugging.

    python -m streams.tail lecturecast.playback-events.v1 --since 2026-11-27T10:00:00Z
    python -m streams.tail lecturecast.playback-events.v1 --offset 0 --max 100

Each line: {"topic", "partition", "offset", "timestamp", "key", "value"}. Without
``--follow`` it stops at the end of every partition. Reads without a consumer group, so it
never moves anyone's committed offsets.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime
from collections.abc import AsyncIterator
from typing import Any, TextIO

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.topics import by_name


def parse_since(text: str) -> int:
    """Epoch milliseconds from epoch seconds or an ISO-8601 time."""
    try:
        return int(float(text) * 1000)
    except ValueError:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


async def _seek(consumer: AIOKafkaConsumer, parts: list[TopicPartition],
                offset: int | None, since_ms: int | None) -> None:
    if since_ms is not None:
        found = await consumer.offsets_for_times({tp: since_ms for tp in parts})
        ends = await consumer.end_offsets(parts)
        for tp in parts:
            consumer.seek(tp, found[tp].offset if found[tp] else ends[tp])
    elif offset is not None:
        for tp in parts:
            consumer.seek(tp, offset)
    else:
        await consumer.seek_to_beginning(*parts)


async def _caught_up(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


async def messages(bootstrap: str, topic: str, *, offset: int | None = None,
                   since_ms: int | None = None, follow: bool = False
                   ) -> AsyncIterator[dict[str, Any]]:
    """Yield a topic's messages as dicts (value JSON-decoded), from the chosen start.

    Without ``follow`` it ends once every partition's end offset (taken at start) is reached.
    """
    # Subscribing makes start() load the topic's metadata; then we switch to manual assignment.
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.unsubscribe()
        consumer.assign(parts)
        await _seek(consumer, parts, offset, since_ms)
        ends = await consumer.end_offsets(parts)
        while follow or not await _caught_up(consumer, ends):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    yield {"topic": r.topic, "partition": r.partition, "offset": r.offset,
                           "timestamp": r.timestamp,
                           "key": r.key.decode(errors="replace") if r.key else None,
                           "value": orjson.loads(r.value) if r.value else None}
    finally:
        await consumer.stop()


async def tail(bootstrap: str, topic: str, *, offset: int | None, since_ms: int | None,
               limit: int | None, follow: bool, out: TextIO) -> int:
    """Print messages as JSON lines; return how many were printed."""
    printed = 0
    if limit == 0:
        return 0
    async for message in messages(bootstrap, topic, offset=offset, since_ms=since_ms,
                                  follow=follow):
        out.write(orjson.dumps(message).decode() + "\n")
        printed += 1
        if limit is not None and printed >= limit:
            break
    out.flush()
    return printed


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m streams.tail", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("topic")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--offset", type=int, help="start at this offset in every partition")
    start.add_argument("--since", help="start at this time (epoch seconds or ISO-8601)")
    parser.add_argument("--max", type=int, dest="limit", help="stop after this many messages")
    parser.add_argument("--follow", action="store_true", help="keep waiting for new messages")
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS",
                                                              "127.0.0.1:9092"))
    args = parser.parse_args(argv)
    try:
        by_name(args.topic)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    since_ms = parse_since(args.since) if args.since else None
    asyncio.run(tail(args.bootstrap, args.topic, offset=args.offset, since_ms=since_ms,
                     limit=args.limit, follow=args.follow, out=sys.stdout))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
