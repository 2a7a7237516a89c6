"""Every Kafka topic of lecturecast, declared once.

Producers, agents, the provisioning script, ``python -m streams.tail`` and ``docs/topics.md``
all read these declarations; nothing else spells a topic name.

Every topic but the gateways' reply topics has ``KAFKA_PARTITIONS`` partitions. Per-user topics are keyed ``{tenant}:{user_id}``
(see :func:`user_key`), so the session agent's tables are co-partitioned with every stream that
touches a user.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams import schemas

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic: its name, how it is keyed and kept, and the schema of its values."""

    name: str
    key: str
    schema: type
    retention_ms: int | None = None  # None: the broker default
    compacted: bool = False
    description: str = ""
    partitions: int | None = None  # None: KAFKA_PARTITIONS
    extra_config: tuple[tuple[str, str], ...] = ()  # further topic-level configuration

    def partition_count(self, default: int) -> int:
        """This topic's partitions given the configured default."""
        return self.partitions or default

    def config(self) -> dict[str, str]:
        """Topic-level broker configuration for CreateTopics."""
        out: dict[str, str] = {}
        if self.retention_ms is not None:
            out["retention.ms"] = str(self.retention_ms)
        if self.compacted:
            out["cleanup.policy"] = "compact"
        out.update(self.extra_config)
        return out


PLAYBACK_EVENTS = TopicSpec(
    name="lecturecast.playback-events.v1",
    key="{tenant}:{user_id}",
    schema=schemas.PlaybackEventV1,
    retention_ms=7 * DAY_MS,
    description="Every player event the gateway accepted, one message per event, in the order "
    "the player sent them. The audit trail, violations and progress are computed from it.",
)

TRANSCODE_JOBS = TopicSpec(
    name="lecturecast.transcode-jobs.v1",
    key="{tenant}:{video_id}",
    schema=schemas.TranscodeJobV1,
    retention_ms=7 * DAY_MS,
    description="Videos to transcode into HLS, taken by the transcoder workers' consumer group. "
    "Keyed by video so that jobs of one video are handled in order.",
)

TRANSCODE_REQUESTS = TopicSpec(
    name="lecturecast.transcode-requests.v1",
    key="{tenant}:{video_id}",
    schema=schemas.TranscodeRequestV1,
    retention_ms=7 * DAY_MS,
    description="A video was uploaded (complete, upload) or retried by an admin and needs "
    "transcoding. Written through the gateway's transactional outbox, so a request is never "
    "lost between the database commit and Kafka.",
)

TRANSCODE_RESULTS = TopicSpec(
    name="lecturecast.transcode-results.v1",
    key="{tenant}:{video_id}",
    schema=schemas.TranscodeResultV1,
    retention_ms=7 * DAY_MS,
    description="What the transcoder workers report about each job: progress while ffmpeg "
    "runs, then ready (with the package's renditions) or failed (with the reason); and the "
    "dispatch watchdog's failed report for a job that went quiet. The dispatch agent applies "
    "them to the video rows.",
)

SESSION_COMMANDS = TopicSpec(
    name="lecturecast.session-commands.v1",
    key="{tenant}:{user_id}",
    schema=schemas.SessionCommandV1,
    retention_ms=1 * DAY_MS,
    description="Commands for the per-user session actor (play, heartbeat, refresh, end, "
    "cancel, revoke, forget_device, sweep). Keyed by user so one agent decides one user's "
    "commands one at a time.",
)

SESSION_LIFECYCLE = TopicSpec(
    name="lecturecast.session-lifecycle.v1",
    key="{tenant}:{user_id}",
    schema=schemas.SessionLifecycleV1,
    retention_ms=30 * DAY_MS,
    description="Every change of a playback session: opened, refreshed, ended, expired, "
    "revoked, and rejected plays with their reason. Recorded in PostgreSQL by the agents.",
)

VIOLATIONS = TopicSpec(
    name="lecturecast.violations.v1",
    key="{tenant}:{user_id}",
    schema=schemas.ViolationV1,
    retention_ms=90 * DAY_MS,
    description="Player events that broke the policy (reported by the player or detected from "
    "positions), with the action taken.",
)

PROGRESS = TopicSpec(
    name="lecturecast.progress.v1",
    key="{tenant}:{user_id}",
    schema=schemas.ProgressV1,
    retention_ms=90 * DAY_MS,
    description="Watch progress of a (enrollment, video) after each change, with milestones; "
    "video_progress in PostgreSQL is written from it.",
)

DEAD_LETTERS = TopicSpec(
    name="lecturecast.dead-letters.v1",
    key="the original message's key",
    schema=schemas.DeadLetterV1,
    retention_ms=30 * DAY_MS,
    description="Messages a consumer skipped because no row or effect can be made of them "
    "(undecodable, a field no column holds, or PostgreSQL refusing the row for its data: "
    "SQLSTATE classes 22 and 23), with the reason and the original bytes.",
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    PLAYBACK_EVENTS, TRANSCODE_REQUESTS, TRANSCODE_JOBS, SESSION_COMMANDS, SESSION_LIFECYCLE,
    VIOLATIONS, PROGRESS, TRANSCODE_RESULTS, DEAD_LETTERS,
)

REPLY_TOPIC_PREFIX = "lecturecast.session-replies."
# Records of a reply topic that are not replies: a gateway's sign of life, and the janitor's
# probe dating a topic that had none (policy/reply_topics.py). Replies are keyed by UUIDs.
REPLY_MARKER_KEY = b"lecturecast:alive"
REPLY_PROBE_KEY = b"lecturecast:janitor-probe"
# Bytes, not time, bound a reply topic's data: its retention.ms is the idle threshold, so
# that a gone gateway's last marker says for a day when it went.
REPLY_RETENTION_BYTES = 8 * 1024 * 1024
REPLY_SEGMENT_BYTES = 1024 * 1024
REPLY_IDLE_SECONDS = 24 * 3600


def reply_topic(gateway_id: str, idle_seconds: int = REPLY_IDLE_SECONDS) -> TopicSpec:
    """The reply topic of one gateway (created at its start, one partition).

    Kept ``idle_seconds`` (``REPLY_TOPIC_IDLE_SECONDS``) and at most about
    ``REPLY_RETENTION_BYTES`` plus a segment; stamped with the broker's clock, which the
    janitor reads as the gateway's last sign of life.
    """
    return TopicSpec(
        name=f"{REPLY_TOPIC_PREFIX}{gateway_id}",
        key="{command_id}",
        schema=schemas.SessionReplyV1,
        retention_ms=idle_seconds * 1000,
        description="The session actor's answers to one gateway process.",
        partitions=1,
        extra_config=(
            ("retention.bytes", str(REPLY_RETENTION_BYTES)),
            ("segment.bytes", str(REPLY_SEGMENT_BYTES)),
            ("message.timestamp.type", "LogAppendTime"),
        ),
    )


def user_key(tenant: str, user_id: str) -> bytes:
    """The message key of per-user topics.

    Agents read keys as raw bytes, so every producer must build them here: the same bytes give
    the same murmur2 partition and so the same table partition.
    """
    return f"{tenant}:{user_id}".encode()


def video_key(tenant: str, video_id: int) -> bytes:
    """The message key of per-video topics."""
    return f"{tenant}:{video_id}".encode()


def by_name(name: str) -> TopicSpec:
    """Look a topic up by its full name; KeyError names the known topics otherwise."""
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in ALL_TOPICS)
    raise KeyError(f"unknown topic {name!r}; known topics: {known}")
