"""Which PostgreSQL failures skip a message and which retry the batch (pure)."""

from __future__ import annotations

import pytest

from policy.db_faults import Fault, classify, reason_class


@pytest.mark.parametrize(("sqlstate", "fault"), [
    # The row's data: refused at every try, so dead-lettered.
    ("22000", Fault.DATA),  # data exception (asyncpg's own, for an argument it cannot encode)
    ("22003", Fault.DATA),  # numeric value out of range
    ("22007", Fault.DATA),  # invalid datetime format
    ("22008", Fault.DATA),  # datetime field overflow
    ("22012", Fault.DATA),  # division by zero
    ("22021", Fault.DATA),  # character not in repertoire (a NUL in text)
    ("22P02", Fault.DATA),  # invalid text representation
    ("22P05", Fault.DATA),  # untranslatable character (\u0000 in jsonb)
    ("23502", Fault.DATA),  # not null violation
    ("23503", Fault.DATA),  # foreign key violation
    ("23505", Fault.DATA),  # unique violation
    ("23514", Fault.DATA),  # check violation
    # The database's trouble: retried, never committed past.
    ("53100", Fault.RETRY),  # disk full
    ("53200", Fault.RETRY),  # out of memory
    ("53300", Fault.RETRY),  # too many connections
    ("25006", Fault.RETRY),  # read-only transaction (a replica after failover)
    ("57P01", Fault.RETRY),  # admin shutdown
    ("57P03", Fault.RETRY),  # cannot connect now
    ("57014", Fault.RETRY),  # query canceled (statement_timeout)
    ("55P03", Fault.RETRY),  # lock not available (lock_timeout)
    ("40P01", Fault.RETRY),  # deadlock detected
    ("40001", Fault.RETRY),  # serialization failure
    ("08006", Fault.RETRY),  # connection failure
    ("08003", Fault.RETRY),  # connection does not exist
    ("58030", Fault.RETRY),  # I/O error
    ("XX000", Fault.RETRY),  # internal error
    ("42P01", Fault.RETRY),  # undefined table: a deploy without its migration, not the data
    ("21000", Fault.RETRY),  # cardinality violation: the batch's shape, not one row's data
    (None, Fault.RETRY),  # not an answer of PostgreSQL at all (OSError, timeout, pool closed)
    ("", Fault.RETRY),
])
def test_only_data_classes_skip_a_message(sqlstate: str | None, fault: Fault) -> None:
    assert classify(sqlstate) is fault


def test_reason_class_names_the_sqlstate_class() -> None:
    assert [reason_class(s) for s in ("22P05", "23514")] == ["sqlstate_22", "sqlstate_23"]
