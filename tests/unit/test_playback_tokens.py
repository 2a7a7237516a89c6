"""Playback tokens: round trip, expiry against an explicit clock, tampering, confusion."""

from __future__ import annotations

import pytest

from gateway import playback_tokens as pt
from gateway.auth import mint_token
from gateway.exceptions import Unauthorized

KEY = b"k" * 32
CLAIMS = pt.PlaybackClaims(tenant="acme", tenant_id=3, user_id="42", video_id=7,
                           enrollment_id=9, device_id="d1", session_id="s1",
                           policy={"allow_seek": False})
NOW = 1_800_000_000.0


def test_round_trip_keeps_every_claim() -> None:
    token = pt.sign(CLAIMS, KEY, now=NOW, ttl_seconds=600)
    assert pt.verify(token, KEY, now=NOW + 599) == CLAIMS


@pytest.mark.parametrize(("token_now", "verify_now", "key", "reason"), [
    (NOW, NOW + 600, KEY, "token_expired"),
    (NOW, NOW + 10_000, KEY, "token_expired"),
    (NOW, NOW, b"other-key" * 4, "invalid_token"),
])
def test_rejections_use_the_seed_codes(token_now: float, verify_now: float, key: bytes,
                                       reason: str) -> None:
    token = pt.sign(CLAIMS, KEY, now=token_now, ttl_seconds=600)
    with pytest.raises(Unauthorized, match=reason):
        pt.verify(token, key, now=verify_now)


def test_tampered_and_garbage_tokens_are_invalid() -> None:
    token = pt.sign(CLAIMS, KEY, now=NOW, ttl_seconds=600)
    head, body, sig = token.split(".")
    for bad in (f"{head}.{body}x.{sig}", "garbage", ""):
        with pytest.raises(Unauthorized, match="invalid_token"):
            pt.verify(bad, KEY, now=NOW)


def test_a_bearer_token_is_not_a_playback_token() -> None:
    bearer = mint_token(KEY.decode(), tenant="acme", sub="42", role="student", now=NOW)
    with pytest.raises(Unauthorized, match="invalid_token"):
        pt.verify(bearer, KEY, now=NOW)
