"""Which errors mean "a store is down or overloaded" rather than "a bug".

The gateway answers these with 503 and ``Retry-After`` (one ``except`` in its error
middleware), so that a burst or an outage tells clients to come back instead of answering 500.
"""

from __future__ import annotations

import asyncpg
import redis.exceptions

from storage.exceptions import ObjectStoreUnavailable
from streams.exceptions import PublishError

UNAVAILABLE: tuple[type[BaseException], ...] = (
    # Redis: refused, reset, timed out, or no free connection in the pool within its wait
    # (MaxConnectionsError and BlockingConnectionPool's "No connection available." are both
    # ConnectionError subclasses).
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    # PostgreSQL: the pool's bounded acquire timed out, or a statement timed out.
    TimeoutError,
    # PostgreSQL (and any socket): refused or reset connections.
    ConnectionError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01
    # asyncpg's protocol when PostgreSQL shuts down while a statement is being prepared ("cannot
    # switch to state 11; another operation (2) is in progress"): met by the chaos run, 500.
    asyncpg.exceptions.InternalClientError,
    # S3 refused, timed out, answered 5xx, or no free connection in the client's pool.
    ObjectStoreUnavailable,
    # Kafka did not acknowledge in time (handlers that publish say which service; this is the
    # net under the rest, e.g. a play's cancel failing while Kafka is away).
    PublishError,
)
