"""Playback tokens: what a player presents on heartbeat, refresh, end and events.

A short-lived HS256 JWT (audience ``lecturecast-playback``) binding one playback session to
its tenant, user, video, enrollment and device, with the policy snapshot the events are judged
against. Pure: the key and ``now`` are arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    duration: float | None = None  # the video's length, for progress
    # The tenant's event rules at play time (completion threshold, violation action).
    rules: dict[str, Any] = field(default_factory=dict)
    # When play/ granted the session (epoch seconds): refresh/ copies it into the new token, so
    # it stays the session's start, unlike ``iat``. Events may not say they happened before it.
    started_at: float | None = None


Keys = Sequence[tuple[str, bytes]]


def sign(claims: PlaybackClaims, keys: Keys, *, now: float, ttl_seconds: int) -> str:
    """A token for ``claims`` valid for ``ttl_seconds`` from ``now``, signed by the first key."""
    kid, secret = keys[0]
    body = asdict(claims)
    body.update(aud=AUDIENCE, iat=int(now), exp=int(now) + ttl_seconds)
    return jwt.encode(body, secret, algorithm="HS256", headers={"kid": kid})


def lifetime_seconds(token: str) -> int | None:
    """``exp - iat`` of a token :func:`verify` accepted (None without ``iat``).

    Read without checking the signature again: call it only after :func:`verify`.
    """
    body = jwt.decode(token, options={"verify_signature": False})
    try:
        return int(body["exp"]) - int(body["iat"])
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def verify(token: str, keys: Keys, *, now: float) -> PlaybackClaims:
    """The claims of a valid token; :class:`Unauthorized` with the seed's codes otherwise.

    The token's ``kid`` picks the key, so keys can rotate: add the new key first, keep the
    old one until its tokens expired. ``token_expired`` for an expired token,
    ``invalid_token`` for anything else wrong (unknown kid included).
    """
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = dict(keys).get(kid) if isinstance(kid, str) else None
        if key is None:
            raise jwt.InvalidTokenError("unknown key id")
        body = jwt.decode(
            token, key, algorithms=["HS256"], audience=AUDIENCE,
            options={"require": ["exp", "aud"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid_token") from exc
    # Checked here rather than by PyJWT so that `now` stays an argument (testable, no clock).
    if body["exp"] <= now:
        raise Unauthorized("token_expired")
    if body.get("started_at") is None and isinstance(body.get("iat"), (int, float)):
        body["started_at"] = float(body["iat"])  # a token issued before the claim existed
    for claim in ("aud", "iat", "exp"):
        body.pop(claim, None)
    try:
        return msgspec.convert(body, PlaybackClaims)
    except msgspec.ValidationError as exc:
        raise Unauthorized("invalid_token") from exc
