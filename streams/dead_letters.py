"""Dead letters: messages a consumer skips, published with their reason before it commits.

Every consumer that gives up on a message (it does not decode, no row can be made of it, or
PostgreSQL refuses the row for its data) builds a :class:`~streams.schemas.DeadLetterV1` with
:func:`letter` and publishes it with ``acks=all`` *before* committing the offset past the
message, so a skipped message is always somewhere an operator can find it. The counter
``lecturecast_dead_letters_total{topic, reason_class}`` (the process's default registry) counts
the letters Kafka acknowledged, by source topic.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from prometheus_client import Counter

from streams import topics
from streams.publisher import Publisher
from streams.schemas import DeadLetterV1

# Room for the letter's other fields and base64's third more under Kafka's 1 MB message limit:
# a letter too big to publish would stop the consumer as surely as the poison itself.
MAX_VALUE_BYTES = 512 * 1024
MAX_KEY_BYTES = 4096
MAX_REASON_CHARS = 2000

DEAD_LETTERS_TOTAL = Counter(
    "lecturecast_dead_letters_total", "Messages skipped into the dead-letter topic",
    ["topic", "reason_class"])


def _b64(raw: bytes | None, limit: int) -> str | None:
    return None if raw is None else base64.b64encode(raw[:limit]).decode()


def letter(*, topic: str, partition: int, offset: int, key: bytes | None,
           value: bytes | None, group: str, reason_class: str, reason: str,
           at: float, sqlstate: str = "") -> DeadLetterV1:
    """The dead letter of one message (pure: ``at`` is the caller's clock)."""
    return DeadLetterV1(
        source_topic=topic, partition=partition, offset=offset,
        key=_b64(key, MAX_KEY_BYTES), value=_b64(value, MAX_VALUE_BYTES),
        value_size=0 if value is None else len(value), reason_class=reason_class,
        reason=reason[:MAX_REASON_CHARS], sqlstate=sqlstate, consumer_group=group, at=at)


def message_key(dead: DeadLetterV1) -> bytes:
    """The letter's key: the original key, so one entity's letters stay in order."""
    return base64.b64decode(dead.key) if dead.key is not None else dead.source_topic.encode()


def counted(letters: Sequence[DeadLetterV1]) -> None:
    """Count letters Kafka acknowledged."""
    for dead in letters:
        DEAD_LETTERS_TOTAL.labels(dead.source_topic, dead.reason_class).inc()


class DeadLetters:
    """Publishes a consumer's dead letters through a started :class:`Publisher`."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    async def send(self, letters: Sequence[DeadLetterV1]) -> None:
        """Publish and wait for every replica (PublishError otherwise), then count them."""
        if not letters:
            return
        await self._publisher.publish(topics.DEAD_LETTERS,
                                      [(message_key(d), d) for d in letters])
        counted(letters)
