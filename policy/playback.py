"""May this student play this video, and with which policy: the seed's rules, pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config.tenant_settings import TenantSettings


@dataclass(frozen=True, slots=True)
class PlayContext:
    """Everything a play decision reads, loaded in one query."""

    video_id: int
    video_status: str
    allow_skip: bool
    max_speed: float
    show_watermark: bool
    youtube_id: str
    external_url: str
    duration: int | None
    student_id: int | None  # None: the caller has no student profile
    student_name: str
    enrollment_id: int | None  # None: not the caller's, or not ACTIVE
    has_session_access: bool
    rule: str | None  # the permission's rule, None without a permission
    allow_skip_override: bool | None
    max_speed_override: float | None
    show_watermark_override: bool | None
    block_seek: bool
    block_speed_control: bool
    completed: bool
    tenant_overrides: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a play is refused: HTTP status and the seed's code."""

    status: int
    code: str


def refusal(ctx: PlayContext) -> Refusal | None:
    """The first failing check, in the seed's order; None when the play may proceed."""
    if ctx.student_id is None:
        return Refusal(403, "student_profile_not_linked")
    if ctx.enrollment_id is None:
        return Refusal(404, "enrollment_not_found")
    if ctx.video_status != "READY":
        return Refusal(403, "video_not_ready")
    if not ctx.has_session_access:
        return Refusal(403, "no_session_access")
    rule = ctx.rule or "free"
    if rule == "blocked":
        return Refusal(403, "blocked")
    if rule == "once" and ctx.completed:
        return Refusal(403, "already_completed_once")
    return None


def effective_policy(ctx: PlayContext, settings: TenantSettings, user_id: str) -> dict[str, Any]:
    """The seed's ``_effective_policy``: video defaults, overrides, then hard blocks win.

    Plus the tenant's concurrency numbers and the watermark text to draw.
    """
    allow_seek = ctx.allow_skip
    max_rate = float(ctx.max_speed or 1.0)
    watermark = ctx.show_watermark
    ui_speed_control = True
    if ctx.rule is not None:
        if ctx.allow_skip_override is not None:
            allow_seek = ctx.allow_skip_override
        if ctx.max_speed_override is not None:
            max_rate = float(ctx.max_speed_override)
        if ctx.show_watermark_override is not None:
            watermark = ctx.show_watermark_override
        if ctx.block_seek:
            allow_seek = False
        if ctx.block_speed_control:
            ui_speed_control = False
            max_rate = 1.0
    return {
        "allow_seek": allow_seek,
        "playback_rate": {"max": max_rate, "ui_control": ui_speed_control},
        "watermark": {"enabled": watermark, "mode": "overlay", "fields": ["user_id"],
                      "text": f"{ctx.student_name} ({user_id})"},
        "concurrency": {"max_sessions": settings.max_sessions,
                        "max_devices": settings.max_devices},
    }


def event_rules(settings: TenantSettings) -> dict[str, Any]:
    """The tenant rules the player-events agent applies to this session's events."""
    return {"completion_threshold": settings.completion_threshold,
            "violation_action": settings.violation_action,
            "violation_revoke_after": settings.violation_revoke_after}
