"""The local CDN on the real S3 server: signed cookies in, HLS bytes out, everything else 4xx."""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from yarl import URL

from config.settings import Settings
from gateway import cdn_cookies as cc
from gateway.app import create_app
from storage.object_keys import hls_prefix
from storage.objects import open_object_store

pytestmark = pytest.mark.stack
PLAYLIST = b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n"
SEGMENT = os.urandom(300_000)  # several chunks of the stream


@pytest.fixture(scope="module")
def key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def cdn(aiohttp_client, settings: Settings, key: RSAPrivateKey) -> TestClient:
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    on = dataclasses.replace(settings, cloudfront_public_key_pem=public,
                             cloudfront_key_pair_id="KTEST")
    return await aiohttp_client(create_app(on))


@pytest.fixture
async def videos(settings: Settings) -> AsyncIterator[tuple[int, int]]:
    """Two videos' HLS packages in S3, under ids no other test uses."""
    ids = tuple(uuid.uuid4().int % 10**12 + 10**12 for _ in range(2))
    async with open_object_store(settings) as store:
        for video_id in ids:
            await store.put(hls_prefix(video_id) + "master.m3u8", PLAYLIST)
            await store.put(hls_prefix(video_id) + "720p/seg_00001.ts", SEGMENT)
        yield ids[0], ids[1]
        for video_id in ids:
            await store.delete_prefix(hls_prefix(video_id))


CookieFactory = Callable[..., dict[str, str]]


@pytest.fixture
def cookies_for(key: RSAPrivateKey) -> CookieFactory:
    def _make(video_id: int, *, ttl: int = 600, signer: RSAPrivateKey | None = None,
              key_pair_id: str = "KTEST") -> dict[str, str]:
        return cc.signed_cookies(
            resource_base="https://cdn.example.test", path_prefix=cc.hls_path_prefix(video_id),
            expires_at=int(time.time()) + ttl, key_pair_id=key_pair_id,
            private_key=signer or key)
    return _make


def _header(cookies: dict[str, str]) -> dict[str, str]:
    # A Cookie header rather than the client's jar: the jar would scope them to its own host.
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


async def test_granted_files_stream_with_their_type_and_cache(
        cdn: TestClient, videos: tuple[int, int], cookies_for: CookieFactory) -> None:
    video, _ = videos
    headers = _header(cookies_for(video))
    playlist = await cdn.get(f"/hls/videos/{video}/master.m3u8", headers=headers)
    assert playlist.status == 200 and await playlist.read() == PLAYLIST
    assert playlist.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist.headers["Cache-Control"] == "private, max-age=5"
    segment = await cdn.get(f"/hls/videos/{video}/720p/seg_00001.ts", headers=headers)
    assert segment.status == 200 and await segment.read() == SEGMENT
    assert segment.headers["Content-Type"] == "video/mp2t"
    assert segment.headers["Cache-Control"].startswith("private, max-age=86400")
    assert segment.headers["Accept-Ranges"] == "bytes"
    head = await cdn.head(f"/hls/videos/{video}/720p/seg_00001.ts", headers=headers)
    assert head.status == 200 and head.headers["Content-Length"] == str(len(SEGMENT))
    assert await head.read() == b""


@pytest.mark.parametrize(("range_header", "status", "first", "last"), [
    ("bytes=0-99", 206, 0, 99),
    ("bytes=1000-", 206, 1000, len(SEGMENT) - 1),
    ("bytes=-500", 206, len(SEGMENT) - 500, len(SEGMENT) - 1),
    ("bytes=299000-999999", 206, 299000, len(SEGMENT) - 1),
    ("bytes=0-1,5-9", 200, 0, len(SEGMENT) - 1),
    ("items=0-1", 200, 0, len(SEGMENT) - 1),
])
async def test_a_single_range_is_a_206(cdn: TestClient, videos: tuple[int, int],
                                       cookies_for: CookieFactory, range_header: str,
                                       status: int, first: int, last: int) -> None:
    video, _ = videos
    resp = await cdn.get(f"/hls/videos/{video}/720p/seg_00001.ts",
                         headers={**_header(cookies_for(video)), "Range": range_header})
    assert resp.status == status and await resp.read() == SEGMENT[first:last + 1]
    if status == 206:
        assert resp.headers["Content-Range"] == f"bytes {first}-{last}/{len(SEGMENT)}"


async def test_a_range_past_the_end_is_416(cdn: TestClient, videos: tuple[int, int],
                                           cookies_for: CookieFactory) -> None:
    video, _ = videos
    resp = await cdn.get(f"/hls/videos/{video}/master.m3u8",
                         headers={**_header(cookies_for(video)), "Range": "bytes=5000-"})
    assert resp.status == 416 and resp.headers["Content-Range"] == f"bytes */{len(PLAYLIST)}"


@pytest.mark.parametrize(("make", "target", "reason"), [
    (lambda c, v, o: c(v[0], ttl=-1), 0, "cookie_expired"),
    (lambda c, v, o: c(v[0]), 1, "path_not_covered"),
    (lambda c, v, o: c(v[0], signer=o), 0, "bad_signature"),
    (lambda c, v, o: {**c(v[0]), cc.SIGNATURE: c(v[1])[cc.SIGNATURE]}, 0, "bad_signature"),
    (lambda c, v, o: c(v[0], key_pair_id="KOTHER"), 0, "unknown_key_pair_id"),
    (lambda c, v, o: {}, 0, "cookie_missing"),
], ids=["expired", "other-video", "forged-signature", "swapped-signature", "other-key-pair",
        "no-cookies"])
async def test_refused_cookies_are_403(cdn: TestClient, videos: tuple[int, int],
                                       cookies_for: CookieFactory, other_key: RSAPrivateKey,
                                       make, target: int, reason: str) -> None:
    cookies = make(cookies_for, videos, other_key)
    resp = await cdn.get(f"/hls/videos/{videos[target]}/master.m3u8", headers=_header(cookies))
    assert resp.status == 403 and (await resp.json())["detail"] == reason


async def test_a_missing_object_is_404(cdn: TestClient, videos: tuple[int, int],
                                       cookies_for: CookieFactory) -> None:
    video, _ = videos
    resp = await cdn.get(f"/hls/videos/{video}/1080p/seg_09999.ts",
                         headers=_header(cookies_for(video)))
    assert resp.status == 404 and "detail" in await resp.json()


@pytest.mark.parametrize("path", ["%2E%2E/master.m3u8", "720p/%2E%2E/%2E%2E/x", "..%2F..%2Fx",
                                  "a//b.ts", "/etc/passwd", "%2Fetc%2Fpasswd"])
async def test_climbing_paths_are_refused(cdn: TestClient, videos: tuple[int, int],
                                          cookies_for: CookieFactory, path: str) -> None:
    video, _ = videos
    # encoded=True: the client must not normalise the dot segments away before sending.
    url = URL(f"/hls/videos/{video}/{path}", encoded=True)
    resp = await cdn.get(url, headers=_header(cookies_for(video)))
    assert resp.status == 400 and (await resp.json())["detail"] == "invalid_path"


async def test_without_a_public_key_the_local_cdn_is_off(
        aiohttp_client, settings: Settings, videos: tuple[int, int],
        cookies_for: CookieFactory) -> None:
    off = await aiohttp_client(create_app(dataclasses.replace(
        settings, cloudfront_public_key_pem="")))
    video, _ = videos
    resp = await off.get(f"/hls/videos/{video}/master.m3u8", headers=_header(cookies_for(video)))
    assert resp.status == 404
    assert "CLOUDFRONT_PUBLIC_KEY_PEM" in (await resp.json())["detail"]


async def test_a_signed_url_opens_its_one_file_only(cdn: TestClient, videos: tuple[int, int],
                                                    key: RSAPrivateKey) -> None:
    """A poster's signed URL (the library, before play) opens that file, not its siblings."""
    video, _ = videos
    poster = "/" + hls_prefix(video) + "master.m3u8"  # stands for any single file
    grant = cc.signed_cookies(resource_base="https://cdn.example.test", path_prefix=poster,
                              expires_at=int(time.time()) + 600, key_pair_id="KTEST",
                              private_key=key)
    query = cc.url_query(grant)
    assert set(query) == {"Policy", "Signature", "Key-Pair-Id"}
    resp = await cdn.get(poster, params=query)
    assert resp.status == 200 and await resp.read() == PLAYLIST
    sibling = await cdn.get("/" + hls_prefix(video) + "720p/seg_00001.ts", params=query)
    assert (sibling.status, (await sibling.json())["detail"]) == (403, "path_not_covered")
    forged = await cdn.get(poster, params={**query, "Signature": query["Signature"][::-1]})
    assert forged.status == 403
    unsigned = await cdn.get(poster, params={"Policy": query["Policy"]})
    assert (unsigned.status, (await unsigned.json())["detail"]) == (403, "cookie_missing")


@pytest.mark.parametrize("params", [
    {"Signature": "\x00", "Policy": "\x00", "Key-Pair-Id": "\x00"},
    {"Signature": "A" * 100_000, "Policy": "B" * 100_000, "Key-Pair-Id": "KTEST"},
    {"Signature": "not base64 !!", "Policy": "e30=", "Key-Pair-Id": "KTEST"},
    {"Signature": "x", "Policy": "eyJTdGF0ZW1lbnQiOlt7IkNvbmRpdGlvbiI6eyJEYXRlTGVzc1RoYW4iOnsi"
                                "QVdTOkVwb2NoVGltZSI6MWUzMDB9fX1dfQ", "Key-Pair-Id": "KTEST"},
    {"Signature": "", "Key-Pair-Id": "\r\nSet-Cookie: a=b"},
], ids=["nul", "oversized", "not-base64", "far-future-policy", "header-injection"])
async def test_a_hostile_signed_url_is_refused_never_500(cdn: TestClient, videos: tuple[int, int],
                                                         params: dict[str, str]) -> None:
    video, _ = videos
    resp = await cdn.get("/" + hls_prefix(video) + "master.m3u8", params=params)
    assert resp.status in (400, 403, 414), await resp.text()
    assert "Set-Cookie" not in resp.headers
