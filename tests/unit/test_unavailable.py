"""Which errors the gateway answers with 503 + Retry-After (a store away) and which not (a bug)."""

from __future__ import annotations

import asyncpg
import pytest
import redis.exceptions

from storage.unavailable import UNAVAILABLE


@pytest.mark.parametrize(("error", "unavailable"), [
    (asyncpg.exceptions.InternalClientError(
        "cannot switch to state 11; another operation (2) is in progress"), True),
    (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), True),
    (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
    (ConnectionRefusedError(111, "Connect call failed"), True),
    (redis.exceptions.ConnectionError("No connection available."), True),
    (TimeoutError(), True),
    (asyncpg.exceptions.UniqueViolationError("duplicate key"), False),
    (ValueError("a bug"), False),
    (KeyError("a bug"), False),
])
def test_a_store_away_is_unavailable_and_a_bug_is_not(error: Exception, unavailable: bool) -> None:
    assert isinstance(error, UNAVAILABLE) is unavailable
