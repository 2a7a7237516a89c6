"""Finding 7: access ends when the session ends.

CDN cookies used to live as long as the playback token (10 minutes by default), so an ended or
revoked session kept the HLS segments for the token's whole life. They now live
``CDN_COOKIE_TTL_SECONDS`` (a few seconds here), and only ``heartbeat/`` and ``refresh/`` of a
live session renew them. Checked against the real local CDN (``/hls/videos/{id}/...``), which
verifies the cookies exactly as CloudFront does. The per-video HLS key answers only a live
session, at once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import cdn_cookies
from gateway.app import create_app
from storage.hls_keys import HlsKeys
from storage.object_keys import hls_prefix
from storage.objects import open_object_store
from storage.tenants import TenantRepository
from tests.http.playback_fixtures import Stage, build_stage, play

pytestmark = pytest.mark.stack
COOKIE_TTL = 3
SEGMENT = b"\x47" * 188 * 4


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """Every test here needs the session actor running."""


@pytest.fixture
async def short(aiohttp_client, settings: Settings) -> TestClient:
    """The app with CDN cookies of ``COOKIE_TTL`` seconds (the local CDN is on in the stack)."""
    assert settings.cloudfront_public_key_pem, "infra/env.sh generates the test key pair"
    return await aiohttp_client(create_app(
        dataclasses.replace(settings, cdn_cookie_ttl_seconds=COOKIE_TTL)))


async def _packaged(settings: Settings, stage: Stage) -> str:
    """Put a one-segment package under the stage video's prefix; the segment's CDN path."""
    video = stage.video["id"]
    async with open_object_store(settings) as store:
        await store.put(hls_prefix(video) + "720p/seg_00001.ts", SEGMENT)
    return f"/hls/videos/{video}/720p/seg_00001.ts"


def _kept(resp: Any) -> dict[str, str]:
    """The CDN cookies of a response, as a copy an attacker would keep."""
    got = {name: resp.cookies[name].value for name in cdn_cookies.COOKIE_NAMES
           if name in resp.cookies}
    assert set(got) == set(cdn_cookies.COOKIE_NAMES), resp.cookies
    return got


async def _get(api: TestClient, path: str, cookies: dict[str, str]) -> tuple[int, str]:
    # A Cookie header rather than the client's jar: end/ clears the jar, a copy survives.
    resp = await api.get(path, headers={
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}, cookies={})
    return resp.status, (await resp.text()) if resp.status != 200 else ""


async def _revoke(api: TestClient, stage: Stage, session_id: str) -> None:
    """Revoke as an admin, once the recorders stored the session row (404 until then)."""
    deadline = time.monotonic() + 15
    while True:
        resp = await api.post(f"/api/v1/media/playback-sessions/{session_id}/revoke/",
                              headers=stage.room.admin)
        if resp.status != 404 or time.monotonic() > deadline:
            assert resp.status == 200, await resp.text()
            return
        await asyncio.sleep(0.2)


def _expires_at(cookies: dict[str, str]) -> int:
    policy = cdn_cookies.decode(cookies[cdn_cookies.POLICY])
    return int(policy.split(b'"AWS:EpochTime":')[1].split(b"}")[0])


async def test_cookies_are_short_lived_and_stop_after_end(
        short: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    stage = await build_stage(short, bearer, tenant_slug)
    segment = await _packaged(settings, stage)
    resp = await play(short, stage)
    body = await resp.json()
    assert resp.status == 200, body
    cookies = _kept(resp)
    # Never longer than the cookie setting, and never longer than the token.
    assert _expires_at(cookies) <= int(time.time()) + COOKIE_TTL
    assert _expires_at(cookies) <= body["expires_at"]
    assert body["cdn_expires_at"] == _expires_at(cookies)
    assert (await _get(short, segment, cookies))[0] == 200
    ended = await short.post(stage.url("end"), json={"token": body["token"]},
                             headers=stage.student)
    assert ended.status == 200
    # The copy still opens the segment until it expires, a few seconds at most ...
    await asyncio.sleep(max(0.0, _expires_at(cookies) - time.time()) + 0.2)
    # ... and then never again: the token's 10 minutes do not matter.
    status, text = await _get(short, segment, cookies)
    assert status == 403 and "cookie_expired" in text
    hb = await short.post(stage.url("heartbeat"), json={"token": body["token"]},
                          headers=stage.student)
    assert hb.status == 409 and not set(cdn_cookies.COOKIE_NAMES) & set(hb.cookies)


async def test_heartbeats_renew_the_cookies_while_the_session_lives(
        short: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    stage = await build_stage(short, bearer, tenant_slug)
    segment = await _packaged(settings, stage)
    resp = await play(short, stage)
    body = await resp.json()
    cookies = _kept(resp)
    first_expiry = _expires_at(cookies)
    # Three cookie lives of playback, renewed by a heartbeat every second.
    deadline = time.time() + 3 * COOKIE_TTL
    while time.time() < deadline:
        await asyncio.sleep(1.0)
        hb = await short.post(stage.url("heartbeat"), json={"token": body["token"]},
                              headers=stage.student)
        assert hb.status == 200, await hb.text()
        cookies = _kept(hb)
        assert (await hb.json())["cdn_expires_at"] == _expires_at(cookies)
        assert (await _get(short, segment, cookies))[0] == 200
    assert _expires_at(cookies) > first_expiry + COOKIE_TTL  # renewed, not the first grant
    # refresh/ renews them as well.
    fresh = await short.post(stage.url("refresh"), json={"token": body["token"]},
                             headers=stage.student)
    assert fresh.status == 200
    cookies = _kept(fresh)
    assert (await _get(short, segment, cookies))[0] == 200
    # No heartbeat now: the session is still live, but the cookies run out on their own.
    await asyncio.sleep(max(0.0, _expires_at(cookies) - time.time()) + 0.2)
    status, text = await _get(short, segment, cookies)
    assert status == 403 and "cookie_expired" in text


async def test_a_revoked_session_gets_no_new_cookies(
        short: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    stage = await build_stage(short, bearer, tenant_slug)
    segment = await _packaged(settings, stage)
    resp = await play(short, stage)
    body = await resp.json()
    cookies = _kept(resp)
    await _revoke(short, stage, body["session_id"])
    for action in ("heartbeat", "refresh"):
        again = await short.post(stage.url(action), json={"token": body["token"]},
                                 headers=stage.student)
        assert again.status == 409, action
        assert not set(cdn_cookies.COOKIE_NAMES) & set(again.cookies), action
    await asyncio.sleep(max(0.0, _expires_at(cookies) - time.time()) + 0.2)
    assert (await _get(short, segment, cookies))[0] == 403


async def test_the_hls_key_answers_only_a_live_session(
        api: TestClient, bearer, tenant_slug: str, settings: Settings,
        db: asyncpg.Pool) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    video = stage.video["id"]
    tenant = await TenantRepository(db).ensure(tenant_slug)
    assert await HlsKeys(db, settings.hls_key_encryption_key()).ensure(tenant.id, video)
    key_url = f"/api/v1/media/videos/{video}/hls-key/"

    async def key(token: str) -> int:
        return (await api.get(key_url, headers={"X-Playback-Token": token})).status

    first = await (await play(api, stage)).json()
    assert await key(first["token"]) == 200
    await api.post(stage.url("end"), json={"token": first["token"]}, headers=stage.student)
    assert await key(first["token"]) == 403  # at once, with ten minutes left on the token
    second = await (await play(api, stage)).json()
    assert await key(second["token"]) == 200
    await _revoke(api, stage, second["session_id"])
    assert await key(second["token"]) == 403
