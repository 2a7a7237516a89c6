"""The player keeps playing across CDN cookie renewals (issue 11, finding 7).

A gateway of its own with ``CDN_COOKIE_TTL_SECONDS=6``: the cookies that open the HLS files
expire every 6 s unless a heartbeat renews them, so the page beats every 2 s (a third of their
life) and the 16 s lecture plays through more than two cookie lifetimes. Once the student leaves,
the cookies are gone and the files answer 403.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.browser.conftest import REQUIRED, free_port
from tests.browser.lecture import Lecture
from tests.conftest import GatewayProcess

try:
    from playwright.async_api import Browser, BrowserContext, expect
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("browser tests need the playwright package", allow_module_level=True)

pytestmark = [pytest.mark.stack, pytest.mark.browser]
COOKIE_TTL = 6
STUDENT = 9  # the shared lecture's other tests use stu-0 .. stu-8
CURRENT_TIME = "document.getElementById('video').currentTime"


@pytest.fixture(scope="module")
def short_cookies(lecture: Lecture, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[GatewayProcess]:
    """A second gateway on the same stack whose CDN cookies live ``COOKIE_TTL`` seconds."""
    process = GatewayProcess(free_port(), tmp_path_factory.mktemp("short-gw") / "gw.log",
                             extra_env={"CDN_COOKIE_TTL_SECONDS": str(COOKIE_TTL)})
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture
async def context(browser: Browser, short_cookies: GatewayProcess
                  ) -> AsyncIterator[BrowserContext]:
    made = await browser.new_context(base_url=short_cookies.url,
                                     viewport={"width": 1200, "height": 860})
    made.set_default_timeout(15_000)
    yield made
    await made.close()


async def _policy_expiry(context: BrowserContext) -> float:
    [cookie] = [c for c in await context.cookies() if c["name"] == "CloudFront-Policy"]
    return cookie["expires"]


async def test_playback_continues_across_cookie_renewals(context: BrowserContext,
                                                         lecture: Lecture) -> None:
    page = await context.new_page()
    refused: list[str] = []
    beats: list[int] = []
    page.on("response", lambda r: refused.append(f"{r.status} {r.url}")
            if "/hls/" in r.url and r.status >= 400 else None)
    page.on("response", lambda r: beats.append(r.status)
            if r.url.endswith("/heartbeat/") else None)
    await page.goto(lecture.player_url(STUDENT))
    await page.get_by_role("button", name="Play Cell biology.mp4").click()
    await page.wait_for_function(f"() => {CURRENT_TIME} > 0.5", timeout=45_000)
    started = time.time()
    first_expiry = await _policy_expiry(context)
    assert first_expiry <= started + COOKIE_TTL + 1
    every = await page.evaluate("window.lecturecast.stage.current.session.heartbeatEveryMs")
    assert 1_000 <= every <= COOKIE_TTL * 1000 / 3

    # More than two cookie lifetimes of playback.
    await page.wait_for_function(f"() => {CURRENT_TIME} > 13", timeout=30_000)
    assert time.time() > first_expiry + COOKIE_TTL
    assert len(beats) >= 4 and set(beats) == {200}, beats
    assert await _policy_expiry(context) > first_expiry + COOKIE_TTL  # renewed
    master = f"/hls/videos/{lecture.video_id}/master.m3u8"
    # no-store: the browser's cache would answer a playlist fetched a moment ago by itself.
    fetch = (f"async () => (await fetch('{master}', "
             "{credentials: 'include', cache: 'no-store'})).status")
    assert await page.evaluate(fetch) == 200  # the renewed cookies open the files
    assert await page.locator("#stage").get_attribute("data-state") == "playing"
    assert refused == []

    async with page.expect_response("**/end/"):
        await page.get_by_role("button", name="Back to the list").click()
    await expect(page.locator("#library")).to_be_visible()
    assert await page.evaluate(fetch) == 403  # end/ took the cookies back


async def test_the_heartbeat_comes_three_times_per_cookie_life(context: BrowserContext) -> None:
    page = await context.new_page()
    await page.goto("/app/")
    delays = await page.evaluate("""async () => {
        const { heartbeatDelay } = await import("/app/player/session.js");
        const now = 1_800_000_000_000;
        return [120, 90, 6, 1, 0, -30, 10 * 86400].map((s) => heartbeatDelay(now / 1000 + s, now))
            .concat([heartbeatDelay(null, now), heartbeatDelay(undefined, now)]);
    }""")
    # The default 120 s cookies keep the 30 s rhythm; shorter ones are beaten three times per
    # life (at least a second apart); a lifetime that makes no sense on this clock keeps 30 s.
    assert delays == [30_000, 30_000, 2_000, 1_000, 30_000, 30_000, 30_000, 30_000, 30_000]
