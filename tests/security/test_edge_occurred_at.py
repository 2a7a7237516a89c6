"""Finding 3/5 at the edge: an event's ``occurred_at`` must fall in a window around the server.

Not before the playback session's start minus ``EVENT_CLOCK_SKEW_SECONDS``, not more than
``EVENT_MAX_AHEAD_SECONDS`` ahead of the server's receive time; anything else (1e12, 1e308,
year 1970, an hour ahead) answers 400 naming ``events.N.occurred_at``, and nothing of the batch
reaches Kafka.
"""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import playback_tokens as pt
from policy.event_window import EVENT_CLOCK_SKEW_SECONDS, EVENT_MAX_AHEAD_SECONDS
from storage.cache import create_redis
from storage.live_sessions import LiveSessions
from streams import topics
from tests.stack.kafka_reader import read_topic

pytestmark = pytest.mark.stack
STARTED_AGO = 600.0


async def _live(settings: Settings, *, started_at: float | None) -> tuple[str, str]:
    session = f"s-{time.time_ns()}"
    claims = pt.PlaybackClaims(tenant="acme", tenant_id=1, user_id="u-7", video_id=7,
                               enrollment_id=9, device_id="d", session_id=session,
                               started_at=started_at)
    client = create_redis(settings)
    try:
        await LiveSessions(client).open(session, user="u-7", video_id=7,
                                        last_seen=time.time(), idle_seconds=90)
    finally:
        await client.aclose()
    return session, pt.sign(claims, settings.playback_keys(), now=time.time(), ttl_seconds=600)


def _outside(now: float, started: float) -> list[float]:
    return [1e12, 1e308, 2.0**64, 1.0, started - EVENT_CLOCK_SKEW_SECONDS - 5,
            now + EVENT_MAX_AHEAD_SECONDS + 30, now + 86400 * 365]


async def test_occurred_at_outside_the_window_is_400_and_nothing_is_stored(
        api: TestClient, settings: Settings) -> None:
    now = time.time()
    started = now - STARTED_AGO
    session, token = await _live(settings, started_at=started)
    for value in _outside(now, started):
        resp = await api.post("/api/v1/media/videos/7/events/", json={
            "token": token, "events": [{"type": "pause", "occurred_at": now},
                                       {"type": "pause", "occurred_at": value}]})
        assert resp.status == 400, (value, await resp.text())
        assert list(await resp.json()) == ["events.1.occurred_at"], value
    found = [v for _k, v in await read_topic(settings, topics.PLAYBACK_EVENTS)
             if v["session_id"] == session]
    assert found == []


async def test_occurred_at_inside_the_window_is_accepted(api: TestClient,
                                                         settings: Settings) -> None:
    now = time.time()
    started = now - STARTED_AGO
    _session, token = await _live(settings, started_at=started)
    inside = [started - EVENT_CLOCK_SKEW_SECONDS + 5, started, now - 1, now,
              now + EVENT_MAX_AHEAD_SECONDS - 5]
    resp = await api.post("/api/v1/media/videos/7/events/", json={
        "token": token, "events": [{"type": "pause", "occurred_at": t} for t in inside]})
    assert resp.status == 200, await resp.text()


async def test_a_token_without_started_at_uses_its_iat(api: TestClient,
                                                    settings: Settings) -> None:
    """A token without ``started_at`` (issued before the claim existed) uses its ``iat``."""
    now = time.time()
    _session, token = await _live(settings, started_at=None)
    resp = await api.post("/api/v1/media/videos/7/events/", json={
        "token": token, "events": [{"type": "pause", "occurred_at": now - STARTED_AGO}]})
    assert resp.status == 400 and list(await resp.json()) == ["events.0.occurred_at"]
    claims = pt.verify(token, settings.playback_keys(), now=now)
    assert claims.started_at is not None and abs(claims.started_at - now) < 5
