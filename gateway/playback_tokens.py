"""Playback tokens: what a player presents on heartbeat, refresh, end and events.

A short-lived HS256 JWT (audience ``lecturecast-playback``) binding one playback session to
its tenant, user, video, enrollment and device, with the policy snapshot the events are judged
against. Pure: the key and ``now`` are arguments.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import jwt
import msgspec

from gateway.exceptions import Unauthorized

AUDIENCE = "lecturecast-playback"


@dataclass(frozen=True, slots=True)
class PlaybackClaims:
    """The content of a playback token."""

    tenant: str
    tenant_id: int
    user_id: str
    video_id: int
    enrollment_id: int
    device_id: str
    session_id: str
    policy: dict[str, Any] = field(default_factory=dict)


def sign(claims: PlaybackClaims, key: bytes, *, now: float, ttl_seconds: int) -> str:
    """A token for ``claims`` valid for ``ttl_seconds`` from ``now``."""
    body = asdict(claims)
    body.update(aud=AUDIENCE, iat=int(now), exp=int(now) + ttl_seconds)
    return jwt.encode(body, key, algorithm="HS256")


def verify(token: str, key: bytes, *, now: float) -> PlaybackClaims:
    """The claims of a valid token; :class:`Unauthorized` with the seed's codes otherwise.

    ``token_expired`` for an expired token, ``invalid_token`` for anything else wrong.
    """
    try:
        body = jwt.decode(
            token, key, algorithms=["HS256"], audience=AUDIENCE,
            options={"require": ["exp", "aud"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid_token") from exc
    # Checked here rather than by PyJWT so that `now` stays an argument (testable, no clock).
    if body["exp"] <= now:
        raise Unauthorized("token_expired")
    for claim in ("aud", "iat", "exp"):
        body.pop(claim, None)
    try:
        return msgspec.convert(body, PlaybackClaims)
    except msgspec.ValidationError as exc:
        raise Unauthorized("invalid_token") from exc
