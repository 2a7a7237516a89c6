"""Versioned value schemas of the Kafka topics.

A schema is a frozen dataclass; its name ends in its version (``...V1``). A change that an
existing consumer could misread gets a new class and a new topic version, never an edit in
place. Every message carries a ``schema`` tag so analytics consumers can
dispatch without knowing the topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PlaybackEventV1:
    """One player event accepted by the gateway (topic ``lecturecast.playback-events.v1``)."""

    event_id: str  # server-assigned UUID; the audit table is idempotent on it
    tenant: str  # tenant slug
    tenant_id: int
    user_id: str  # the JWT ``sub`` of the student
    video_id: int
    enrollment_id: int
    session_id: str  # the playback session
    event_type: str  # normalised upper-case vocabulary (e.g. SEEK_ATTEMPT, POSITION)
    occurred_at: float  # epoch seconds, as the player reported it
    received_at: float  # epoch seconds, when the gateway accepted it
    payload: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)  # snapshot from the playback token
    batch_id: str = ""  # the client's optional batch id, for retries
    duration: float | None = None  # the video's length in seconds, when known
    # The tenant's rules at play time: completion_threshold, violation_action, ..._revoke_after
    rules: dict[str, Any] = field(default_factory=dict)
    schema: str = "playback_event.v1"


@dataclass(frozen=True, slots=True)
class ViolationV1:
    """A player event that broke the policy (topic ``lecturecast.violations.v1``)."""

    event_id: str  # the offending event's id
    tenant: str
    tenant_id: int
    user_id: str
    video_id: int
    enrollment_id: int
    session_id: str
    event_type: str
    reason: str  # seek_not_allowed, speed_control_disabled, speed_exceeds_max, position_jump...
    occurred_at: float
    session_violations: int  # violations in this playback session so far, this one included
    action: str  # "audit", or "revoke" when this violation made the session revoked
    schema: str = "violation.v1"


@dataclass(frozen=True, slots=True)
class ProgressV1:
    """How much of a video a student has watched, after a change (``lecturecast.progress.v1``)."""

    tenant: str
    tenant_id: int
    user_id: str
    video_id: int
    enrollment_id: int
    session_id: str
    progress: float  # covered seconds / duration, 0..1, never decreasing
    watched_seconds: float  # seconds of the video covered at least once
    last_position: float  # resume point, seconds
    completed: bool
    intervals: list[list[float]]  # merged [start, end] ranges watched
    milestones: list[int]  # percentages first reached with this change (25, 50, 75, 100)
    at: float  # epoch seconds of the sample that caused the change
    schema: str = "progress.v1"


@dataclass(frozen=True, slots=True)
class TranscodeJobV1:
    """A video to turn into HLS (topic ``lecturecast.transcode-jobs.v1``)."""

    job_id: str  # UUID; a redelivered job keeps it
    tenant: str
    tenant_id: int
    video_id: int
    source_key: str  # S3 key of the uploaded file
    attempt: int = 1
    hls_encryption: bool = False
    schema: str = "transcode_job.v1"


@dataclass(frozen=True, slots=True)
class TranscodeResultV1:
    """What a transcoder worker reports about a job (topic ``lecturecast.transcode-results.v1``).

    ``kind`` is ``progress`` (while it works), ``ready`` (the whole package is on S3, master
    playlist last) or ``failed`` (``retryable`` says whether another attempt may succeed).
    """

    job_id: str  # the job this is about
    tenant: str
    tenant_id: int
    video_id: int
    attempt: int  # the job's attempt
    kind: str  # "progress" | "ready" | "failed"
    at: float  # epoch seconds at the worker
    progress: int = 0  # 0..99 (progress); READY means 100
    duration: float = 0.0  # seconds of the source (ready)
    thumbnail_key: str = ""  # S3 key of the poster image (ready)
    renditions: list[dict[str, Any]] = field(default_factory=list)  # the HLS ladder (ready)
    hls_encrypted: bool = False  # AES-128 segments (ready)
    error_reason: str = ""  # readable reason (failed)
    retryable: bool = False  # a transient failure (failed)
    schema: str = "transcode_result.v1"


@dataclass(frozen=True, slots=True)
class TranscodeRequestV1:
    """An uploaded video asks to be transcoded (topic ``lecturecast.transcode-requests.v1``).

    Published through the outbox in the transaction that made the video UPLOADED; the dispatch
    agent turns requests into jobs.
    """

    request_id: str  # UUID, for deduplication by consumers
    tenant: str
    tenant_id: int
    video_id: int
    source_key: str  # S3 key of the uploaded file
    reason: str  # "complete" | "upload" | "retry"
    requested_at: float  # epoch seconds
    schema: str = "transcode_request.v1"


@dataclass(frozen=True, slots=True)
class SessionCommandV1:
    """A command for one user's session actor (topic ``lecturecast.session-commands.v1``).

    ``kind`` is play, heartbeat, refresh, end, cancel, revoke, forget_device, sweep or restore. A
    command with ``reply_to`` is answered on that topic, keyed by ``command_id``.
    """

    command_id: str
    kind: str
    tenant: str
    tenant_id: int
    user_id: str
    issued_at: float  # epoch seconds at the gateway: the actor's clock for this command
    session_id: str = ""
    request_id: str = ""
    device_id: str = ""
    video_id: int = 0
    enrollment_id: int = 0
    reason: str = ""
    reply_to: str = ""
    limits: dict[str, Any] = field(default_factory=dict)  # the tenant's limits (play)
    schema: str = "session_command.v1"


@dataclass(frozen=True, slots=True)
class SessionReplyV1:
    """The actor's answer to a command that asked for one."""

    command_id: str
    granted: bool
    reason: str = ""  # rejection reason, or why a session is not live
    session_id: str = ""
    started_at: float = 0.0
    schema: str = "session_reply.v1"


@dataclass(frozen=True, slots=True)
class SessionLifecycleV1:
    """A session changed state (topic ``lecturecast.session-lifecycle.v1``), for analytics.

    ``kind``: opened, refreshed, ended, expired, revoked or rejected (with ``reason``).
    """

    event_id: str
    kind: str
    tenant: str
    tenant_id: int
    user_id: str
    session_id: str
    video_id: int
    enrollment_id: int
    device_id: str
    at: float  # epoch seconds
    reason: str = ""
    schema: str = "session_lifecycle.v1"


@dataclass(frozen=True, slots=True)
class DeadLetterV1:
    """A message a consumer could not turn into its effect (``lecturecast.dead-letters.v1``).

    The consumer skipped it after publishing this letter (acknowledged by every replica) and
    before committing past it: the original bytes and the reason are here, and the original
    stays at (source_topic, partition, offset) for the source topic's retention.
    """

    source_topic: str
    partition: int
    offset: int
    key: str | None  # the original key, base64 (None: the message had no key)
    value: str | None  # the original value, base64, cut at value_size's first 512 KiB
    value_size: int  # bytes of the original value (more than ``value`` holds when cut)
    reason_class: str  # decode, convert, sqlstate_22 or sqlstate_23
    reason: str  # why, readable: the decode error, the field, or PostgreSQL's message
    sqlstate: str  # PostgreSQL's SQLSTATE for sqlstate_* refusals, "" otherwise
    consumer_group: str  # the consumer that gave up on it
    at: float  # epoch seconds on the consumer's clock, when it gave up
    schema: str = "dead_letter.v1"
