"""The events endpoint over HTTP: 4xx reasons, beacons, and what reaches Kafka."""

from __future__ import annotations

import time

import orjson
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import playback_tokens as pt
from gateway.app import create_app
from gateway.auth import mint_token
from storage.cache import create_redis
from storage.live_sessions import LiveSessions
from streams import topics
from tests.stack.kafka_reader import read_topic

pytestmark = pytest.mark.stack


@pytest.fixture
async def client(aiohttp_client, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))


def claims(**over: object) -> pt.PlaybackClaims:
    base = dict(tenant="acme", tenant_id=1, user_id="u-7", video_id=7, enrollment_id=9,
                device_id="d", session_id="s-1", policy={"allow_seek": False})
    base.update(over)
    return pt.PlaybackClaims(**base)  # type: ignore[arg-type]


def token(settings: Settings, ttl: int = 600, **over: object) -> str:
    return pt.sign(claims(**over), settings.playback_keys(), now=time.time(), ttl_seconds=ttl)


async def open_session(settings: Settings, session_id: str, user: str = "u-7") -> None:
    """Mark a session live in Redis exactly as the session actor does on a grant."""
    client = create_redis(settings)
    try:
        await LiveSessions(client).open(session_id, user=user, video_id=7,
                                        last_seen=time.time(), idle_seconds=90)
    finally:
        await client.aclose()


@pytest.fixture(autouse=True)
async def default_session_is_live(settings: Settings) -> None:
    """The default claims' session is live, as right after a play."""
    await open_session(settings, "s-1")


async def test_a_batch_is_acknowledged_only_once_it_is_in_kafka(
        client: TestClient, settings: Settings) -> None:
    session = f"s-{time.time_ns()}"
    await open_session(settings, session)
    occurred = round(time.time() - 1.75, 2)
    body = {"token": token(settings, session_id=session), "session_id": session,
            "events": [{"type": "play_start", "occurred_at": occurred},
                       {"type": "position", "payload": {"position": 12.5, "rate": 1.0}}]}
    resp = await client.post("/api/v1/media/videos/7/events/", json=body)
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"stored": 2}
    found = [v for _k, v in await read_topic(settings, topics.PLAYBACK_EVENTS)
             if v["session_id"] == session]
    assert [v["event_type"] for v in found] == ["PLAY_START", "POSITION"]
    assert found[0]["occurred_at"] == occurred
    assert found[1]["payload"] == {"position": 12.5, "rate": 1.0}


async def test_a_beacon_without_authorization_is_accepted(client: TestClient,
                                                          settings: Settings) -> None:
    body = orjson.dumps({"token": token(settings), "events": [{"type": "pause"}]})
    resp = await client.post("/api/v1/media/videos/7/events/", data=body,
                             headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert resp.status == 200 and await resp.json() == {"stored": 1}


async def test_a_bearer_of_another_user_is_refused(client: TestClient,
                                                   settings: Settings) -> None:
    bearer = mint_token(settings.auth_jwt_secret, tenant="acme", sub="someone-else",
                        role="student")
    resp = await client.post("/api/v1/media/videos/7/events/",
                             json={"token": token(settings), "events": []},
                             headers={"Authorization": f"Bearer {bearer}"})
    assert resp.status == 401 and (await resp.json())["detail"] == "user_mismatch"


@pytest.mark.parametrize(("video", "token_kwargs", "detail"), [
    (8, {}, "video_mismatch"),
    (7, {"ttl": -1}, "token_expired"),
])
async def test_token_failures_use_the_seed_codes(client: TestClient, settings: Settings,
                                                 video: int, token_kwargs: dict[str, int],
                                                 detail: str) -> None:
    resp = await client.post(f"/api/v1/media/videos/{video}/events/",
                             json={"token": token(settings, **token_kwargs), "events": []})
    assert resp.status == 401
    assert (await resp.json())["detail"] == detail


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "empty"),
    (b"{not json", "not valid JSON"),
    (b"[]", "JSON object"),
    (b'{"events": []}', "token"),
    (b'{"token": "x", "events": "many"}', '"events"'),
    (b'{"token": "x", "events": [{"occurred_at": 1}]}', "type"),
])
async def test_malformed_bodies_are_400_with_a_reason(client: TestClient, body: bytes,
                                                      reason: str) -> None:
    resp = await client.post("/api/v1/media/videos/7/events/", data=body,
                             headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert reason in await resp.text()


async def test_an_invalid_event_stores_nothing_of_its_batch(client: TestClient,
                                                            settings: Settings) -> None:
    session = f"s-{time.time_ns()}"
    await open_session(settings, session)
    body = {"token": token(settings, session_id=session),
            "events": [{"type": "pause"}, {"type": "teleport"}]}
    resp = await client.post("/api/v1/media/videos/7/events/", json=body)
    assert resp.status == 400 and list(await resp.json()) == ["events.1.type"]
    found = [v for _k, v in await read_topic(settings, topics.PLAYBACK_EVENTS)
             if v["session_id"] == session]
    assert found == []


async def test_more_than_100_events_are_refused_naming_the_limit(client: TestClient,
                                                                 settings: Settings) -> None:
    body = {"token": token(settings), "events": [{"type": "pause"}] * 101}
    resp = await client.post("/api/v1/media/videos/7/events/", json=body)
    assert resp.status == 400 and "100" in (await resp.json())["events"][0]


@pytest.mark.parametrize("state", ["never-played", "ended", "other-user"])
async def test_events_of_a_session_that_is_not_live_are_409(client: TestClient,
                                                             settings: Settings, state: str,
                                                             agents_worker: object) -> None:
    # No Redis entry for the user (never played, another user's): the gateway asks the
    # user's session actor, which does not know the session either.
    session = f"s-{state}-{time.time_ns()}"
    if state == "ended":
        await open_session(settings, session)
        redis = create_redis(settings)
        await LiveSessions(redis).close(session, "ENDED", "ended")
        await redis.aclose()
    elif state == "other-user":
        await open_session(settings, session, user="someone-else")
    resp = await client.post("/api/v1/media/videos/7/events/", json={
        "token": token(settings, session_id=session), "events": [{"type": "pause"}]})
    assert resp.status == 409 and (await resp.json())["detail"] == "session_not_active"
