"""The pages at /app/: content types, caching, the vendor allow-list, no way out of web/.

A bare aiohttp app with only the pages' routes: no stack needed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway import pages


@pytest.fixture
async def site(aiohttp_client) -> TestClient:
    app = web.Application()
    pages.setup_routes(app, upload_origin=pages.origin_of("http://s3.example:9000/bucket/"))
    return await aiohttp_client(app)


@pytest.fixture
def bare_root(tmp_path: Path) -> Path:
    """A copy of web/ without node_modules, as a checkout before `npm ci`."""
    root = tmp_path / "web"
    shutil.copytree(pages.WEB_ROOT, root, ignore=shutil.ignore_patterns("node_modules"))
    return root


@pytest.mark.skipif(not pages.Pages(pages.WEB_ROOT).installed(), reason="web/ npm ci not run")
@pytest.mark.parametrize(("path", "ctype", "cache"), [
    ("/app/", "text/html; charset=utf-8", "no-cache"),
    ("/app/player/", "text/html; charset=utf-8", "no-cache"),
    ("/app/admin/", "text/html; charset=utf-8", "no-cache"),
    ("/app/shared/api.js", "text/javascript; charset=utf-8", "no-cache"),
    ("/app/shared/style.css", "text/css; charset=utf-8", "no-cache"),
    ("/app/vendor/hls.mjs", "text/javascript; charset=utf-8", "public, max-age=86400"),
])
async def test_files_have_their_type_and_cache_policy(site: TestClient, path: str, ctype: str,
                                                      cache: str) -> None:
    resp = await site.get(path)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == ctype
    assert resp.headers["Cache-Control"] == cache
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert len(await resp.read()) > 100


@pytest.mark.skipif(not pages.Pages(pages.WEB_ROOT).installed(), reason="web/ npm ci not run")
async def test_html_forbids_other_origins(site: TestClient) -> None:
    resp = await site.get("/app/player/")
    policy = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    # Uploads go straight to S3: the only other origin a page may connect to.
    assert "connect-src 'self' http://s3.example:9000;" in policy
    assert "http" not in (await resp.text()).replace("http-equiv", "")  # no absolute URLs


async def test_folders_redirect_to_their_slash(site: TestClient) -> None:
    for path, target in (("/app", "/app/"), ("/app/player", "/app/player/")):
        resp = await site.get(path, allow_redirects=False)
        assert resp.status == 308 and resp.headers["Location"] == target


@pytest.mark.parametrize("path", [
    "/app/../pyproject.toml", "/app/%2e%2e/pyproject.toml", "/app/shared/%2e%2e/%2e%2e/README.md",
    "/app/shared/..%2f..%2fREADME.md", "/app/node_modules/hls.js/package.json",
    "/app/node_modules/hls.js/dist/hls.mjs", "/app/package.json", "/app/package-lock.json",
    "/app/vendor/hls.js/dist/hls.mjs", "/app/vendor/../package.json", "/app/vendor/",
    "/app/.hidden", "/app/shared//api.js", "/app/shared\\api.js", "/app/nope.html",
])
async def test_nothing_outside_the_pages_is_served(site: TestClient, path: str) -> None:
    resp = await site.get(path, allow_redirects=False)
    assert resp.status in {404, 308}, (path, resp.status)
    if resp.status == 308:  # only ever to a folder below /app/
        assert resp.headers["Location"].startswith("/app/") and ".." not in resp.headers["Location"]
    else:
        assert "hls" not in (await resp.text()).lower()


async def test_a_symlink_out_of_the_root_is_not_followed(aiohttp_client, bare_root: Path,
                                                         tmp_path: Path) -> None:
    secret = tmp_path / "secret.js"
    secret.write_text("top secret")
    (bare_root / "shared" / "leak.js").symlink_to(secret)
    app = web.Application()
    pages.setup_routes(app, bare_root)
    client = await aiohttp_client(app)
    resp = await client.get("/app/shared/leak.js")
    assert resp.status == 404 and "secret" not in await resp.text()


async def test_without_npm_ci_pages_explain_what_to_run(aiohttp_client, bare_root: Path) -> None:
    app = web.Application()
    pages.setup_routes(app, bare_root)
    client = await aiohttp_client(app)
    for path in ("/app/player/", "/app/vendor/hls.mjs"):
        resp = await client.get(path)
        assert resp.status == 503
        assert "infra/install.sh" in await resp.text()
    assert (await client.get("/app/shared/api.js")).status == 200  # own files still served
