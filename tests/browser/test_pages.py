"""Smoke: the gateway serves the pages and their modules, and Chromium runs them cleanly."""

from __future__ import annotations

import pytest

from tests.browser.conftest import console_errors, screenshot

pytestmark = [pytest.mark.stack, pytest.mark.browser]


async def test_landing_and_player_sign_in_render_with_hls_loaded(new_context) -> None:
    context = await new_context()
    page = await context.new_page()
    errors = console_errors(page)
    await page.goto("/app/")
    assert await page.title() == "lecturecast"
    links = page.get_by_role("link")
    assert await links.all_inner_texts() == ["Student player", "Admin"]
    await screenshot(page, "landing")

    await page.get_by_role("link", name="Student player").click()
    await page.wait_for_url("**/app/player/")
    form = page.get_by_role("region", name="Sign in")
    await form.wait_for()
    assert await form.get_by_label("Your sign-in token").is_visible()
    # main.js imported hls.js from /app/vendor/ and found Media Source Extensions.
    assert await page.evaluate("window.lecturecast && window.lecturecast.hlsSupported") is True
    await screenshot(page, "player-sign-in")
    assert errors == []
