"""2,000 requests in flight against one gateway process: no 500, nothing accepted lost."""

from __future__ import annotations

import pytest

from bench.chaos_burst import burst_round
from bench.chaos_stack import ChaosStack

pytestmark = pytest.mark.stack


async def test_a_burst_of_two_thousand_answers_only_allowed_statuses_and_loses_nothing(
        chaos_stack: ChaosStack) -> None:
    result = await burst_round(chaos_stack, requests=2000, students=100)
    print("\nburst", result)
    assert sum(result.answers.values()) == 2000
    assert result.bad == 0, result.answers
    assert result.answers.get("events 200", 0) > 0, result.answers
    audit = result.audit
    assert audit.stored_once == audit.accepted and audit.missing == 0, audit
    assert audit.duplicates == 0, audit
    # Shed quickly rather than queued, and back to normal within seconds.
    assert result.shed_p99_ms < 2000, result
    assert result.recovered_seconds < 5.0, result
