"""The dispatch agent's decisions: requests become jobs, results move the video (pure).

The agent keeps one :class:`Tracking` per video (its stream and table are keyed
``{tenant}:{video_id}``) and writes it *after* the decision's effects (database update, job
sent). A crash in between replays the message against the old tracking, and every effect is
idempotent: conditional updates, and job ids derived from the request (attempt 1) or the failed
job (later attempts), so a replay publishes the *same* job again, which workers skip.

The stall watchdog (:func:`on_stall_check`) decides from the video row alone: a PROCESSING
video with no sign of life for ``TRANSCODE_STALL_SECONDS`` gets a ``failed`` (retryable) result
for its current job, so the agent's own bounded retry sends the next attempt or fails it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from enum import Enum

import msgspec

from streams.schemas import TranscodeResultV1

MAX_ATTEMPTS = 3
BACKOFF_SECONDS = (0.0, 5.0, 20.0)  # waited before attempt 1, 2, 3
MAX_SEEN_REQUESTS = 20
MAX_STALLS = MAX_ATTEMPTS  # watchdog actions per request before it fails the video itself
WATCHDOG_MAX_INTERVAL_SECONDS = 60.0
_NAMESPACE = uuid.UUID("6f1e9c2a-3b7d-4c55-9a0e-8d2f4b6c1a73")
STARTABLE = ("UPLOADED", "FAILED")


class Effect(str, Enum):
    """What the agent does for a message."""

    NONE = "none"  # nothing: a duplicate, a stale result, a video gone or not waiting
    START = "start"  # mark PROCESSING (from UPLOADED/FAILED, or already) and send the job
    PROGRESS = "progress"  # raise processing_progress (never lowers it)
    READY = "ready"  # PROCESSING -> READY with the package's facts
    RETRY = "retry"  # send the job's next attempt (the video stays PROCESSING)
    FAIL = "fail"  # PROCESSING -> FAILED with the reason


@dataclass(frozen=True, slots=True)
class Tracking:
    """What the agent remembers about one video's transcodes."""

    job_id: str = ""  # the job the video waits for ("" when unknown)
    finished: bool = True  # that job ended (READY/FAILED applied), or there is none
    seen: tuple[str, ...] = field(default_factory=tuple)  # latest request ids, oldest first


@dataclass(frozen=True, slots=True)
class Step:
    """A decision: the new tracking, the effect, and the job to send (START, RETRY)."""

    state: Tracking
    effect: Effect
    job_id: str = ""
    attempt: int = 0
    note: str = ""  # why nothing is done, for the log


def first_job_id(request_id: str) -> str:
    """The job of a request's first attempt (the same on every replay)."""
    return str(uuid.uuid5(_NAMESPACE, f"{request_id}:1"))


def next_job_id(job_id: str) -> str:
    """The job of the attempt after ``job_id`` failed."""
    return str(uuid.uuid5(_NAMESPACE, f"{job_id}:next"))


def backoff_seconds(attempt: int) -> float:
    """How long a worker waits before running ``attempt`` (transient failures back off)."""
    return BACKOFF_SECONDS[min(max(attempt, 1), len(BACKOFF_SECONDS)) - 1]


def _seen(state: Tracking, request_id: str) -> tuple[str, ...]:
    return (*state.seen, request_id)[-MAX_SEEN_REQUESTS:]


def on_request(state: Tracking, request_id: str, status: str | None) -> Step:
    """A transcode request for a video whose row has ``status`` (None: deleted)."""
    if request_id in state.seen:
        return Step(state, Effect.NONE, note="duplicate request")
    seen = replace(state, seen=_seen(state, request_id))
    if status in STARTABLE or (status == "PROCESSING" and state.finished):
        # PROCESSING with nothing in flight: this request's own start, replayed after a crash
        # that lost the tracking but not the database update; send its job (again).
        job = first_job_id(request_id)
        return Step(replace(seen, job_id=job, finished=False), Effect.START, job, 1)
    return Step(seen, Effect.NONE, note=f"video is {status or 'deleted'}")


def on_result(state: Tracking, result: TranscodeResultV1, status: str | None) -> Step:
    """A worker's result for a video whose row has ``status`` (None: deleted)."""
    current = not state.job_id or result.job_id == state.job_id
    if not current:
        return Step(state, Effect.NONE, note="result of an earlier job")
    if status != "PROCESSING":
        done = replace(state, finished=True) if result.kind != "progress" else state
        return Step(done, Effect.NONE, note=f"video is {status or 'deleted'}")
    if result.kind == "progress":
        return Step(state, Effect.PROGRESS)
    if result.kind == "ready":
        return Step(replace(state, job_id=result.job_id, finished=True), Effect.READY)
    if result.retryable and result.attempt < MAX_ATTEMPTS:
        job = next_job_id(result.job_id)
        return Step(replace(state, job_id=job, finished=False), Effect.RETRY, job,
                    result.attempt + 1)
    return Step(replace(state, job_id=result.job_id, finished=True), Effect.FAIL)


def failure_reason(result: TranscodeResultV1) -> str:
    """The ``error_reason`` a FAILED video shows (attempts named when retries ran out)."""
    reason = result.error_reason or "transcoding failed"
    if result.retryable:
        return f"{reason} (gave up after {result.attempt} attempts)"
    return reason


def encode_state(state: Tracking) -> bytes:
    """Table bytes of a video's tracking."""
    return msgspec.json.encode(state)


def decode_state(raw: bytes | None) -> Tracking:
    """A video's tracking from table bytes (none yet: nothing in flight)."""
    return msgspec.json.decode(raw, type=Tracking) if raw else Tracking()


class StallAction(str, Enum):
    """What the watchdog does about a video."""

    NONE = "none"  # alive, or not transcoding
    RETRY = "retry"  # report the current attempt failed (retryable): the agent sends the next
    FAIL = "fail"  # PROCESSING -> FAILED at once (no job to retry, or the agent never answered)


@dataclass(frozen=True, slots=True)
class RunningTranscode:
    """What a video row says about its transcode, for the stall watchdog."""

    tenant: str
    tenant_id: int
    video_id: int
    status: str
    job_id: str  # the job the video waits for ("" when none is on record)
    attempt: int
    heartbeat_at: float  # epoch seconds of the last sign of life
    stalls: int  # watchdog actions since the last transcode request


@dataclass(frozen=True, slots=True)
class StallDecision:
    """The watchdog's decision about one video, with the reason a FAILED video shows."""

    action: StallAction
    reason: str = ""


def watchdog_interval(stall_seconds: float) -> float:
    """How often the watchdog scans: often enough to act within a quarter of the threshold."""
    return max(1.0, min(WATCHDOG_MAX_INTERVAL_SECONDS, stall_seconds / 4))


def on_stall_check(now: float, run: RunningTranscode, stall_seconds: float) -> StallDecision:
    """Whether a video's transcode stalled (``now`` and the heartbeat in epoch seconds)."""
    if run.status != "PROCESSING" or now - run.heartbeat_at < stall_seconds:
        return StallDecision(StallAction.NONE)
    reason = f"transcode stalled: no progress for over {stall_seconds:.0f} s"
    if not run.job_id:
        return StallDecision(StallAction.FAIL, f"{reason} (no job on record)")
    if run.stalls >= MAX_STALLS:
        # The agent should have failed it on the last report; don't rely on it forever.
        return StallDecision(StallAction.FAIL, f"{reason} (gave up after {run.stalls} retries)")
    return StallDecision(StallAction.RETRY, reason)


def stall_result(run: RunningTranscode, reason: str, now: float) -> TranscodeResultV1:
    """The ``failed`` result the watchdog reports for a stalled video's current job."""
    return TranscodeResultV1(job_id=run.job_id, tenant=run.tenant, tenant_id=run.tenant_id,
                             video_id=run.video_id, attempt=run.attempt, kind="failed", at=now,
                             error_reason=reason, retryable=True)
