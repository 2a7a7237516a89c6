"""The fair share between academies: which job a free transcoder slot passes over."""

from __future__ import annotations

import pytest

from policy.fair_share import TenantLoad, loads, should_defer

A, B, C = 1, 2, 3


@pytest.mark.parametrize(("tenant", "load", "defer"), [
    # Alone: an academy uses every slot, whatever it already runs.
    (A, {}, False),
    (A, {A: TenantLoad(running=3, waiting=10, last_start=50)}, False),
    # B waits with nothing running while A already runs one: A's job goes to the back.
    (A, {A: TenantLoad(1, 5, 50), B: TenantLoad(0, 1, 0)}, True),
    (B, {A: TenantLoad(1, 5, 50), B: TenantLoad(0, 1, 0)}, False),
    # Both run nothing: whoever started longest ago goes first (never started: first of all).
    (A, {A: TenantLoad(0, 5, 50), B: TenantLoad(0, 1, 0)}, True),
    (A, {A: TenantLoad(0, 5, 40), B: TenantLoad(0, 1, 45)}, False),
    (B, {A: TenantLoad(0, 5, 40), B: TenantLoad(0, 1, 45)}, True),
    # B is served less but waits for nothing: no reason to hold A back.
    (A, {A: TenantLoad(2, 5, 50), B: TenantLoad(0, 0, 0)}, False),
    # B runs as many as A and started later: A's turn.
    (A, {A: TenantLoad(1, 5, 40), B: TenantLoad(1, 3, 45)}, False),
    # Max-min: A (2 running) yields to C (1 running), not to B (3 running).
    (A, {A: TenantLoad(2, 5, 40), B: TenantLoad(3, 1, 10), C: TenantLoad(1, 1, 45)}, True),
    (C, {A: TenantLoad(2, 5, 40), B: TenantLoad(3, 1, 10), C: TenantLoad(1, 1, 45)}, False),
    # An academy unknown to the counts (its row already changed) never waits behind nobody.
    (C, {A: TenantLoad(1, 0, 40)}, False),
])
def test_should_defer(tenant: int, load: dict[int, TenantLoad], defer: bool) -> None:
    assert should_defer(tenant, load) is defer


def test_whatever_the_counts_some_waiting_academy_may_start() -> None:
    """Work-conserving: of the academies that wait, the least served is never deferred."""
    load = {A: TenantLoad(2, 4, 10), B: TenantLoad(2, 1, 30), C: TenantLoad(0, 2, 60)}
    assert [t for t in load if not should_defer(t, load)] == [C]
    load[C] = TenantLoad(2, 1, 60)
    assert [t for t in load if not should_defer(t, load)] == [A]


def test_loads_from_processing_rows_and_running_slots() -> None:
    assert loads({A: 5, B: 1, C: 2}, {A: 2, C: 3}, {A: 12.5, B: 3.0}) == {
        A: TenantLoad(2, 3, 12.5), B: TenantLoad(0, 1, 3.0),
        C: TenantLoad(3, 0, 0.0),  # more running than rows (a row just changed): none waiting
    }
