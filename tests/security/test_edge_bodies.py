"""Finding 3 and 5: JSON bodies a handler must not take answer 400 naming the field, never 500.

Any string in any body (values and keys, at any depth) holding a NUL or a control character,
bodies nested deeper than the global bound, and event payloads over their size, depth or key
bounds.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import keys
from gateway import playback_tokens as pt
from gateway.events import MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH, MAX_PAYLOAD_KEYS
from gateway.validation import MAX_JSON_DEPTH
from storage.cache import create_redis
from storage.live_sessions import LiveSessions

pytestmark = pytest.mark.stack


def _filled(path: str) -> str:
    import re
    return re.sub(r"\{[^}]+\}", "1", path)


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = {"k": value} if i % 2 else [value]
    return value


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "a\x00b"}, "title"),
    ({"title": "a\x1bb"}, "title"),
    ({"title": ["ok", "a\x00"]}, "title.1"),
    ({"x": {"a\x00b": 1}}, "x"),
    ({"enrollments": [{"etag": "\x07"}]}, "enrollments.0.etag"),
])
async def test_a_control_character_anywhere_in_any_body_is_400_naming_the_field(
        api: TestClient, bearer, tenant_slug: str, body: dict[str, Any], field: str) -> None:
    admin = bearer(tenant_slug)
    failures = []
    for op in api.server.app[keys.API].operations:
        if op.method not in {"POST", "PATCH"} or op.body is None:
            continue
        resp = await api.request(op.method, _filled(op.path), json=body, headers=admin)
        got = await resp.json()
        if resp.status != 400 or field not in got:
            failures.append((op.method, op.path, resp.status, got))
    assert failures == []


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 1000, 1100, 10_000])
async def test_bodies_nested_too_deep_are_refused_before_decoding(
        api: TestClient, bearer, tenant_slug: str, depth: int) -> None:
    raw = orjson.dumps({"token": "x", "events": [{"type": "pause", "payload": {"a": 1}}],
                        "title": "t"})
    deep = b"[" * depth + b"]" * depth
    body = raw[:-1] + b',"x":' + deep + b"}"
    for path in ("/api/v1/media/videos/1/events/", "/api/v1/catalog/lectures/"):
        resp = await api.post(path, data=body, headers={**bearer(tenant_slug),
                                                        "Content-Type": "application/json"})
        assert resp.status == 400, await resp.text()
        assert "deep" in (await resp.json())["detail"]


async def test_a_body_at_the_depth_bound_is_decoded(api: TestClient, bearer,
                                                    tenant_slug: str) -> None:
    body = {"title": "Biology", "x": _nested(MAX_JSON_DEPTH - 1)}
    resp = await api.post("/api/v1/catalog/lectures/", json=body, headers=bearer(tenant_slug))
    assert resp.status == 400 and list(await resp.json()) == ["x"]  # unknown field, not depth


@pytest.fixture
async def live_token(settings: Settings) -> str:
    session = f"s-{time.time_ns()}"
    claims = pt.PlaybackClaims(tenant="acme", tenant_id=1, user_id="u-7", video_id=7,
                               enrollment_id=9, device_id="d", session_id=session,
                               started_at=time.time() - 30)
    client = create_redis(settings)
    try:
        await LiveSessions(client).open(session, user="u-7", video_id=7,
                                        last_seen=time.time(), idle_seconds=90)
    finally:
        await client.aclose()
    return pt.sign(claims, settings.playback_keys(), now=time.time(), ttl_seconds=600)


async def _events(api: TestClient, token: str, *events: dict[str, Any]) -> tuple[int, Any]:
    resp = await api.post("/api/v1/media/videos/7/events/",
                          json={"token": token, "events": list(events)})
    return resp.status, await resp.json()


@pytest.mark.parametrize("payload", [
    {"note": "x" * (MAX_PAYLOAD_BYTES + 1)},
    {"note": "x" * 1_000_000},
    {f"k{i}": i for i in range(MAX_PAYLOAD_KEYS + 1)},
    {"a": [{"b": i} for i in range(MAX_PAYLOAD_KEYS + 1)]},
    {"deep": _nested(MAX_PAYLOAD_DEPTH)},
])
async def test_an_event_payload_over_its_bounds_is_400_naming_it(
        api: TestClient, live_token: str, payload: dict[str, Any]) -> None:
    status, body = await _events(api, live_token, {"type": "pause"},
                                 {"type": "pause", "payload": payload})
    assert status == 400, body
    assert list(body) == ["events.1.payload"], body


async def test_an_event_payload_within_its_bounds_is_stored(api: TestClient,
                                                            live_token: str) -> None:
    fits = {"note": "x" * (MAX_PAYLOAD_BYTES - 60), "deep": _nested(MAX_PAYLOAD_DEPTH - 2)}
    assert len(orjson.dumps(fits)) <= MAX_PAYLOAD_BYTES
    status, body = await _events(api, live_token, {"type": "pause", "payload": fits})
    assert (status, body) == (200, {"stored": 1})


@pytest.mark.parametrize(("event", "field"), [
    ({"type": "pause\x00"}, "events.0.type"),
    ({"type": "p" * 65}, "events.0.type"),
    ({"type": "pause", "payload": {"state": "a\x00"}}, "events.0.payload.state"),
])
async def test_event_strings_are_bounded(api: TestClient, live_token: str,
                                         event: dict[str, Any], field: str) -> None:
    status, body = await _events(api, live_token, event)
    assert status == 400 and field in body, body


@pytest.mark.parametrize("extra", [{"batch_id": "b\x00"}, {"batch_id": "b" * 129},
                                   {"session_id": "\x00"}, {"token": "t\x00"}])
async def test_batch_strings_are_bounded(api: TestClient, live_token: str,
                                         extra: dict[str, Any]) -> None:
    body = {"token": live_token, "events": [{"type": "pause"}], **extra}
    resp = await api.post("/api/v1/media/videos/7/events/", json=body)
    assert resp.status == 400 and list(extra) == list(await resp.json())
