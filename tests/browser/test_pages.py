"""Smoke: the gateway serves the pages and their modules, and Chromium runs them cleanly."""

from __future__ import annotations

import uuid

import pytest

from config.settings import Settings
from gateway.auth import mint_token
from tests.browser.conftest import REQUIRED, console_errors, screenshot

try:
    from playwright.async_api import expect
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("browser tests need the playwright package", allow_module_level=True)

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


async def test_a_manager_in_the_player_is_pointed_to_the_admin_pages(new_context,
                                                                    settings: Settings) -> None:
    token = mint_token(settings.auth_jwt_secret, tenant=f"t-{uuid.uuid4().hex[:12]}",
                       sub="admin-1", role="admin")
    page = await (await new_context()).new_page()
    await page.goto(f"/app/player/#token={token}")
    await expect(page.get_by_text("Signed in as admin-1")).to_be_visible()
    await expect(page.locator("#library-status")).to_contain_text("not signed in as a student")
    assert "token=" not in page.url  # the fragment is wiped once the token is kept
