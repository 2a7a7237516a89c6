"""What a PostgreSQL failure means for a consumer: refuse the message, or wait and retry (pure).

A consumer that writes messages to PostgreSQL meets two kinds of failure. PostgreSQL refusing a
row for its *data* (SQLSTATE class 22, data exception, or 23, integrity constraint violation)
will refuse it again at every try: that message goes to the dead-letter topic and the rest of
the batch is written. Everything else (no connection, too many connections, disk full,
read-only after a failover, admin shutdown, query cancel, deadlock, serialization failure, any
error that is not PostgreSQL's answer at all) says nothing about the message: the batch is
retried with backoff and its offsets are never committed past it.
"""

from __future__ import annotations

from enum import Enum

DATA_CLASSES = frozenset({"22", "23"})


class Fault(str, Enum):
    """What to do with a message whose write failed."""

    DATA = "data"  # the row itself is refused: dead-letter it, write the rest
    RETRY = "retry"  # the database is in trouble: wait, write the same batch again


def classify(sqlstate: str | None) -> Fault:
    """The fault of a failed write, from its SQLSTATE (None: not an answer of PostgreSQL)."""
    if sqlstate is not None and sqlstate[:2] in DATA_CLASSES:
        return Fault.DATA
    return Fault.RETRY


def reason_class(sqlstate: str) -> str:
    """The metric label of a data refusal: ``sqlstate_22`` or ``sqlstate_23``."""
    return f"sqlstate_{sqlstate[:2]}"
