"""Play end to end: CDN cookies from play/ open the local CDN; lifecycle reaches Kafka;
tokens signed with a rotated-out key still verify while the old key is configured."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import playback_tokens as pt
from gateway.app import create_app
from storage.object_keys import master_playlist
from storage.objects import open_object_store
from streams import topics
from tests.http.playback_fixtures import build_stage, play
from tests.stack.kafka_reader import read_topic

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """Every test here needs the session actor running."""


async def test_play_cookies_open_the_local_cdn_and_end_clears_them(
        api: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    assert settings.cloudfront_public_key_pem, "infra/env.sh generates the test key pair"
    stage = await build_stage(api, bearer, tenant_slug)
    video = stage.video["id"]
    async with open_object_store(settings) as store:
        await store.put(master_playlist(video), b"#EXTM3U\n")
    url = f"/hls/videos/{video}/master.m3u8"
    assert (await api.get(url)).status == 403  # no cookies yet
    resp = await play(api, stage)
    assert resp.status == 200
    assert {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"} <= \
        set(resp.cookies)
    assert resp.cookies["CloudFront-Policy"]["path"] == f"/hls/videos/{video}/"
    assert resp.cookies["CloudFront-Policy"]["httponly"]
    got = await api.get(url)  # the test client keeps the cookies, as a browser would
    assert got.status == 200 and await got.read() == b"#EXTM3U\n"
    other = await api.get(f"/hls/videos/{video + 1}/master.m3u8")
    assert other.status == 403  # the cookies' path does not cover another video
    token = (await resp.json())["token"]
    ended = await api.post(stage.url("end"), json={"token": token}, headers=stage.student)
    assert ended.status == 200
    assert ended.cookies["CloudFront-Policy"].value == ""  # deleted


async def test_lifecycle_events_reach_the_analytics_topic(api: TestClient, bearer,
                                                          tenant_slug: str,
                                                          settings: Settings) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    first = await (await play(api, stage, "a")).json()
    assert (await play(api, stage, "b")).status == 409
    await api.post(stage.url("end"), json={"token": first["token"]}, headers=stage.student)
    events = [v for _k, v in await read_topic(settings, topics.SESSION_LIFECYCLE)
              if v["tenant"] == tenant_slug]
    assert [(e["kind"], e["reason"]) for e in events] == [
        ("opened", ""), ("rejected", "concurrency_limit_exceeded"), ("ended", "ended")]
    assert events[0]["session_id"] == first["session_id"]
    assert events[0]["device_id"] == "a" and events[1]["device_id"] == "b"


async def test_rotated_keys_keep_old_tokens_valid(aiohttp_client, bearer, tenant_slug: str,
                                                  settings: Settings) -> None:
    old = dataclasses.replace(settings, playback_token_secret="k1:" + "o" * 32)
    api = await aiohttp_client(create_app(old))
    stage = await build_stage(api, bearer, tenant_slug)
    token = (await (await play(api, stage)).json())["token"]
    rotated = dataclasses.replace(settings, playback_token_secret=f"k2:{'n' * 32},k1:{'o' * 32}")
    api2 = await aiohttp_client(create_app(rotated))
    hb = await api2.post(stage.url("heartbeat"), json={"token": token}, headers=stage.student)
    assert hb.status == 200
    fresh = await (await api2.post(stage.url("refresh"), json={"token": token},
                                   headers=stage.student)).json()
    assert pt.verify(fresh["token"], rotated.playback_keys(), now=time.time()).session_id == \
        fresh["session_id"]
    dropped = dataclasses.replace(settings, playback_token_secret="k2:" + "n" * 32)
    api3 = await aiohttp_client(create_app(dropped))
    hb = await api3.post(stage.url("heartbeat"), json={"token": token}, headers=stage.student)
    assert hb.status == 401 and (await hb.json())["detail"] == "invalid_token"


async def test_a_play_answered_too_late_is_503_and_undone(aiohttp_client, bearer,
                                                          tenant_slug: str,
                                                          settings: Settings) -> None:
    hasty = dataclasses.replace(settings, play_reply_timeout_seconds=0.001)
    api = await aiohttp_client(create_app(hasty))
    stage = await build_stage(api, bearer, tenant_slug)
    resp = await play(api, stage, "impatient")
    assert resp.status == 503 and resp.headers["Retry-After"] == "2"
    assert (await resp.json())["detail"] == "session_service_unavailable"
    # The actor granted it after the gateway gave up; the cancel that followed undid it, so
    # the one stream slot is free for another device.
    patient = await aiohttp_client(create_app(settings))
    for _ in range(50):
        again = await play(patient, stage, "other-device")
        if again.status == 200:
            break
        await asyncio.sleep(0.1)
    assert again.status == 200, await again.text()
