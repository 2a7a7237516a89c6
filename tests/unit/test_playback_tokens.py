"""Playback tokens: round trip, expiry against an explicit clock, tampering, confusion."""

from __future__ import annotations

import dataclasses

import pytest

from gateway import playback_tokens as pt
from gateway.auth import mint_token
from gateway.exceptions import Unauthorized

KEY = b"k" * 32
KEYS = [("k1", KEY)]
NOW = 1_800_000_000.0
CLAIMS = pt.PlaybackClaims(tenant="acme", tenant_id=3, user_id="42", video_id=7,
                           enrollment_id=9, device_id="d1", session_id="s1",
                           policy={"allow_seek": False}, started_at=NOW - 60)


def test_round_trip_keeps_every_claim() -> None:
    claims = dataclasses.replace(CLAIMS, started_at=NOW - 3600.5)
    token = pt.sign(claims, KEYS, now=NOW, ttl_seconds=600)
    assert pt.verify(token, KEYS, now=NOW + 599) == claims


def test_a_token_without_started_at_started_at_its_iat() -> None:
    token = pt.sign(dataclasses.replace(CLAIMS, started_at=None), KEYS, now=NOW, ttl_seconds=600)
    assert pt.verify(token, KEYS, now=NOW + 1) == dataclasses.replace(CLAIMS, started_at=NOW)


@pytest.mark.parametrize(("token_now", "verify_now", "keys", "reason"), [
    (NOW, NOW + 600, KEYS, "token_expired"),
    (NOW, NOW + 10_000, KEYS, "token_expired"),
    (NOW, NOW, [("k1", b"other-key" * 4)], "invalid_token"),
    (NOW, NOW, [("k2", KEY)], "invalid_token"),
])
def test_rejections_use_the_seed_codes(token_now: float, verify_now: float,
                                       keys: list[tuple[str, bytes]], reason: str) -> None:
    token = pt.sign(CLAIMS, KEYS, now=token_now, ttl_seconds=600)
    with pytest.raises(Unauthorized, match=reason):
        pt.verify(token, keys, now=verify_now)


def test_tampered_and_garbage_tokens_are_invalid() -> None:
    token = pt.sign(CLAIMS, KEYS, now=NOW, ttl_seconds=600)
    head, body, sig = token.split(".")
    for bad in (f"{head}.{body}x.{sig}", "garbage", ""):
        with pytest.raises(Unauthorized, match="invalid_token"):
            pt.verify(bad, KEYS, now=NOW)


def test_a_bearer_token_is_not_a_playback_token() -> None:
    bearer = mint_token(KEY.decode(), tenant="acme", sub="42", role="student", now=NOW)
    with pytest.raises(Unauthorized, match="invalid_token"):
        pt.verify(bearer, KEYS, now=NOW)


def test_rotation_old_tokens_verify_until_the_old_key_is_dropped() -> None:
    old = pt.sign(CLAIMS, [("k1", KEY)], now=NOW, ttl_seconds=600)
    rotated = [("k2", b"n" * 32), ("k1", KEY)]
    assert pt.verify(old, rotated, now=NOW) == CLAIMS
    new = pt.sign(CLAIMS, rotated, now=NOW, ttl_seconds=600)
    assert pt.verify(new, rotated, now=NOW) == CLAIMS
    with pytest.raises(Unauthorized, match="invalid_token"):
        pt.verify(old, rotated[:1], now=NOW)


def test_lifetime_is_exp_minus_iat() -> None:
    assert pt.lifetime_seconds(pt.sign(CLAIMS, KEYS, now=NOW, ttl_seconds=600)) == 600
    assert pt.lifetime_seconds(pt.sign(CLAIMS, KEYS, now=NOW, ttl_seconds=30)) == 30
