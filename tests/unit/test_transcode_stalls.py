"""The stall watchdog's decision (pure): when a quiet transcode is retried, when it fails."""

from __future__ import annotations

from dataclasses import replace

import pytest

from policy.transcode import (
    MAX_ATTEMPTS, MAX_STALLS, Effect, RunningTranscode, StallAction, Tracking, failure_reason,
    on_result, on_stall_check, stall_result, watchdog_interval,
)

STALL = 600.0
NOW = 1_800_000_000.0
RUN = RunningTranscode(tenant="t", tenant_id=1, video_id=7, status="PROCESSING", job_id="j1",
                       attempt=1, heartbeat_at=NOW - STALL - 1, stalls=0)


@pytest.mark.parametrize(("run", "action", "reason"), [
    # Quiet for longer than the threshold: the current attempt is reported failed (retryable).
    (RUN, StallAction.RETRY, "transcode stalled: no progress for over 600 s"),
    (replace(RUN, attempt=3, stalls=2), StallAction.RETRY,
     "transcode stalled: no progress for over 600 s"),
    # A sign of life within the threshold, or exactly at it: alive.
    (replace(RUN, heartbeat_at=NOW - 10), StallAction.NONE, ""),
    (replace(RUN, heartbeat_at=NOW - STALL + 0.001), StallAction.NONE, ""),
    (replace(RUN, heartbeat_at=NOW - STALL), StallAction.RETRY,
     "transcode stalled: no progress for over 600 s"),
    # Not transcoding: never touched, however old.
    (replace(RUN, status="READY"), StallAction.NONE, ""),
    (replace(RUN, status="FAILED"), StallAction.NONE, ""),
    (replace(RUN, status="UPLOADED"), StallAction.NONE, ""),
    # Nothing to retry: fail at once.
    (replace(RUN, job_id=""), StallAction.FAIL,
     "transcode stalled: no progress for over 600 s (no job on record)"),
    # The bound: after MAX_STALLS retries the watchdog fails the video itself.
    (replace(RUN, stalls=MAX_STALLS), StallAction.FAIL,
     f"transcode stalled: no progress for over 600 s (gave up after {MAX_STALLS} retries)"),
])
def test_stall_decisions(run: RunningTranscode, action: StallAction, reason: str) -> None:
    decision = on_stall_check(NOW, run, STALL)
    assert (decision.action, decision.reason) == (action, reason)


@pytest.mark.parametrize(("attempt", "effect", "next_attempt"), [
    (1, Effect.RETRY, 2), (2, Effect.RETRY, 3), (MAX_ATTEMPTS, Effect.FAIL, 0),
])
def test_a_stall_report_goes_through_the_agents_bounded_retry(
        attempt: int, effect: Effect, next_attempt: int) -> None:
    run = replace(RUN, attempt=attempt, job_id=f"j{attempt}")
    decision = on_stall_check(NOW, run, STALL)
    result = stall_result(run, decision.reason, NOW)
    assert (result.kind, result.retryable, result.job_id, result.attempt) == (
        "failed", True, run.job_id, attempt)
    step = on_result(Tracking(job_id=run.job_id, finished=False), result, "PROCESSING")
    assert (step.effect, step.attempt) == (effect, next_attempt)
    if effect is Effect.FAIL:
        assert failure_reason(result) == (
            f"transcode stalled: no progress for over 600 s (gave up after {attempt} attempts)")


@pytest.mark.parametrize(("stall", "interval"), [(600, 60.0), (120, 30.0), (2, 1.0)])
def test_the_watchdog_scans_within_a_quarter_of_the_threshold(stall: float,
                                                              interval: float) -> None:
    assert watchdog_interval(stall) == interval
