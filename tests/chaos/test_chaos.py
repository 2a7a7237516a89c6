"""The short chaos run of ``make test``: each fault during a storm, and what must hold after it.

The long run, with the table of docs/reliability.md, is ``bench/chaos.py``. This one runs the
same rounds (``bench/chaos_run.py``) shorter, on a throwaway stack of its own (``PROFILE=chaos``),
so killing Kafka or PostgreSQL does not touch the stack the other tests use.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.chaos_faults import FAULTS, Fault
from bench.chaos_run import Row, Timing, run_round, table
from bench.chaos_stack import ChaosStack

pytestmark = pytest.mark.stack
TIMING = Timing(warm=3.0, hold=3.0, after=5.0)
POSTGRES_TIMING = Timing(warm=3.0, hold=8.0, after=5.0)
# The bench runs every fault; `make test` skips two to stay short: a transcoder killed mid-job
# has its own test (tests/http/test_transcoding.py), and dispatch is a Faust worker killed the
# same way as the agents worker, whose round runs here.
SHORT = tuple(f for f in FAULTS if f.name not in ("transcoder", "dispatch"))
STUDENTS = 12
RECOVERY_BOUND = 5.0  # seconds after the heal until no request fails or takes over 2 s
ROWS: list[Row] = []


@pytest.fixture(scope="module", autouse=True)
def _table() -> Iterator[None]:
    yield
    print("\n" + table(ROWS))


@pytest.mark.parametrize("fault", SHORT, ids=[f.name for f in SHORT])
async def test_nothing_accepted_is_lost_and_no_limit_breaks(
        chaos_stack: ChaosStack, clip: bytes, fault: Fault) -> None:
    timing = POSTGRES_TIMING if fault.name == "postgres" else TIMING
    row = await run_round(chaos_stack, fault, timing, clip, STUDENTS)
    ROWS.append(row)
    detail = f"{table([row])}\nnot 200: {row.failures}"
    assert row.accepted > 0, detail
    assert row.stored_once == row.accepted and not row.missing, detail
    assert row.duplicates == 0, detail
    assert row.over_limit == 0, detail
    assert row.lost_sessions == 0, detail
    assert row.bad == 0, detail
    assert row.upload.startswith("READY"), detail
    # The storm goes on after the heal: every part is back well before it ends.
    assert row.recover_seconds < RECOVERY_BOUND, detail
