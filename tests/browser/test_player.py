"""The student player in Chromium: real HLS through the local CDN, the policy, the session rhythm.

Every test uses its own student of the shared lecture (stu-0 .. stu-4), so their sessions,
limits and progress never meet.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.browser.conftest import REQUIRED, console_errors, screenshot
from tests.browser.lecture import Lecture, eventually

try:
    from playwright.async_api import Page, expect
except ImportError:
    if REQUIRED:  # under `make test` a missing Playwright is a failure, never a skip
        raise
    pytest.skip("browser tests need the playwright package (pip install -e '.[test]')",
                allow_module_level=True)

pytestmark = [pytest.mark.stack, pytest.mark.browser]
PLAY = "Play Cell biology.mp4"
CURRENT_TIME = "document.getElementById('video').currentTime"


async def start_playing(page: Page, lecture: Lecture, student: int, past: float = 2.0) -> str:
    """Open the student's player link, press Play, wait for ``past`` seconds of playback.

    Returns the playback session id the page shows.
    """
    await page.goto(lecture.player_url(student))
    await page.get_by_role("button", name=PLAY).click()
    await page.wait_for_function(f"() => {CURRENT_TIME} > {past}", timeout=45_000)
    session_id = await page.locator("#stage").get_attribute("data-session")
    assert session_id and len(session_id) == 32
    return session_id


def unexpected(errors: list[str], *allowed: str) -> list[str]:
    """The errors that none of the ``allowed`` fragments explains."""
    return [e for e in errors if not any(a in e for a in allowed)]


async def test_a_student_plays_sees_the_watermark_and_cannot_skip_ahead(
        new_context, lecture: Lecture) -> None:
    page = await (await new_context()).new_page()
    errors = console_errors(page)
    session_id = await start_playing(page, lecture, 0, past=3.0)

    watermark = page.locator("#watermark")
    await expect(watermark).to_be_visible()
    assert await watermark.inner_text() == f"Student 0 (stu-0) · {session_id[:8]}"
    first_spot = await watermark.bounding_box()
    # The policy allows 1.5x: no faster button exists, and the 1.5x one works.
    assert await page.locator("#speeds button").all_inner_texts() == [
        "0.75×", "1×", "1.25×", "1.5×"]
    await page.get_by_role("button", name="1.5×").click()
    assert await page.evaluate("document.getElementById('video').playbackRate") == 1.5
    await expect(page.locator("#seek-note")).to_be_visible()

    before = await page.evaluate(CURRENT_TIME)
    await page.evaluate("() => { const v = document.getElementById('video');"
                        " v.currentTime = v.duration - 1; }")
    await expect(page.locator("#stage-status")).to_contain_text("Skipping ahead is turned off")
    await page.wait_for_function(f"() => !document.getElementById('video').seeking"
                                 f" && {CURRENT_TIME} < {before + 3}")
    await screenshot(page, "player-playing")

    async def seek_rows() -> list | None:
        page_ = await lecture.admin_get(f"/api/v1/media/events/?session_id={session_id}"
                                        "&event_type=SEEK_ATTEMPT")
        return page_["results"] or None

    (row,) = await eventually(seek_rows, "the SEEK_ATTEMPT row in the audit trail")
    assert row["violated"] is True and row["violation_reason"] == "seek_not_allowed"
    assert row["event_payload"]["to"] > before + 5 and row["event_payload"]["allowed"] is False

    # The watermark moves every 6-11 s: by now (or a little later) it is somewhere else.
    async def moved() -> bool:
        return await watermark.bounding_box() != first_spot
    assert await eventually(moved, "the watermark to move", timeout=15)

    await page.get_by_role("button", name="Back to the list").click()
    await expect(page.locator("#library")).to_be_visible()

    async def progress() -> dict | None:
        rows = (await lecture.admin_get(
            f"/api/v1/media/video-progress/?video={lecture.video_id}"
            f"&enrollment={lecture.enrollment(0)}"))["results"]
        return rows[0] if rows and rows[0]["progress"] > 0 else None

    row = await eventually(progress, "progress from the position samples")
    assert 0.1 < row["progress"] < 0.9 and row["last_position"] >= 3 and not row["completed"]
    # end/ was called on leaving: the session is over, not left to expire.
    async def ended() -> bool:
        sessions = await lecture.admin_get("/api/v1/media/playback-sessions/?user=stu-0")
        return [s["status"] for s in sessions["results"]
                if s["session_id"] == session_id] == ["ENDED"]
    assert await eventually(ended, "the session to be ENDED")
    assert unexpected(errors) == []


async def test_a_second_screen_is_told_another_is_playing_until_the_first_leaves(
        new_context, lecture: Lecture) -> None:
    first = await (await new_context()).new_page()
    await start_playing(first, lecture, 1)

    second = await (await new_context()).new_page()  # another browser: another device id
    errors = console_errors(second)
    await second.goto(lecture.player_url(1))
    await second.get_by_role("button", name=PLAY).click()
    status = second.locator("#stage-status")
    await expect(status).to_contain_text("already playing on another screen")
    assert "concurrency" not in (await status.inner_text()).lower()  # a sentence, not a code
    assert await second.locator("#watermark").is_hidden()
    await screenshot(second, "player-another-screen")

    await first.get_by_role("button", name="Back to the list").click()  # end/ frees the slot
    await expect(first.locator("#library")).to_be_visible()
    await second.get_by_role("button", name="Back to the list").click()
    await second.get_by_role("button", name=PLAY).click()
    await second.wait_for_function(f"() => {CURRENT_TIME} > 1", timeout=45_000)
    assert unexpected(errors, "409") == []


async def test_a_revoked_session_stops_with_an_explanation(new_context,
                                                           lecture: Lecture) -> None:
    page = await (await new_context()).new_page()
    session_id = await start_playing(page, lecture, 2)
    status, body = await lecture.admin_post(
        f"/api/v1/media/playback-sessions/{session_id}/revoke/", {})
    assert status == 200, body
    # Events flush every 5 s; their 409 makes the page ask the heartbeat why.
    await expect(page.locator("#stage-status")).to_contain_text(
        "this session was ended", timeout=20_000)
    assert await page.evaluate("document.getElementById('video').paused") is True
    assert await page.locator("#watermark").is_hidden()
    assert await page.locator("#stage").get_attribute("data-state") == "ended"
    await screenshot(page, "player-revoked")


async def test_resume_from_the_last_position(new_context, lecture: Lecture) -> None:
    status, body = await lecture.admin_post(
        "/api/v1/media/video-progress/update_progress/",
        {"video": lecture.video_id, "enrollment": lecture.enrollment(4), "progress": 0.5,
         "last_position": 9, "completed": False})
    assert status == 200, body
    page = await (await new_context()).new_page()
    await page.goto(lecture.player_url(4))
    await expect(page.get_by_text("Resume at 0:09")).to_be_visible()
    await expect(page.get_by_text("50% watched")).to_be_visible()
    await screenshot(page, "player-library")
    await page.get_by_role("button", name=PLAY).click()
    await page.wait_for_function(f"() => {CURRENT_TIME} >= 9.5", timeout=45_000)
    await expect(page.locator("#stage-status")).to_contain_text("at 0:09")


async def test_a_blocked_video_is_explained_before_play_signed_in_by_paste(
        new_context, lecture: Lecture) -> None:
    status, body = await lecture.admin_post("/api/v1/media/video-permissions/", {
        "video": lecture.video_id, "enrollment": lecture.enrollment(3), "rule": "blocked"})
    assert status == 201, body
    page = await (await new_context()).new_page()
    await page.goto("/app/player/")
    await page.get_by_label("Your sign-in token").fill(lecture.student_token(3))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text("Signed in as Student 3")).to_be_visible()  # not the sub
    await expect(page.get_by_text("Your academy has blocked this video for you")).to_be_visible()
    assert await page.get_by_role("button", name=PLAY).is_disabled()
    await screenshot(page, "player-blocked")


async def test_leaving_the_page_beacons_the_last_events_and_ends_the_session(
        new_context, lecture: Lecture) -> None:
    page = await (await new_context()).new_page()
    session_id = await start_playing(page, lecture, 5)
    left_at = await page.evaluate("Date.now() / 1000")
    await page.goto("/app/")  # pagehide: no page is left to run timers after this

    async def late_events() -> list | None:
        rows = (await lecture.admin_get(
            f"/api/v1/media/events/?session_id={session_id}&event_type=POSITION"))["results"]
        late = [r for r in rows if r["event_payload"]["position"] > 2 and
                datetime.fromisoformat(r["occurred_at"]).timestamp() >= left_at]
        return late or None

    # Only the beacon can have carried a sample taken while the page was leaving.
    assert await eventually(late_events, "the beacon's position sample")

    async def ended() -> bool:
        sessions = await lecture.admin_get("/api/v1/media/playback-sessions/?user=stu-5")
        return [s["status"] for s in sessions["results"]] == ["ENDED"]
    assert await eventually(ended, "end/ sent while leaving")


async def test_a_youtube_video_opens_on_youtube(new_context, lecture: Lecture) -> None:
    status, body = await lecture.admin_post("/api/v1/media/videos/add-url/", {
        "session": lecture.room.session["id"], "title": "Welcome talk",
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"})
    assert status == 201, body
    page = await (await new_context()).new_page()
    await page.goto(lecture.player_url(6))
    await page.get_by_role("button", name="Play Welcome talk").click()
    link = page.get_by_role("link", name="open it on YouTube")
    await expect(link).to_be_visible()
    assert await link.get_attribute("href") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert await page.locator("#screen").is_hidden()


async def test_an_encrypted_package_plays_and_its_token_is_refreshed_before_expiry(
        new_context, encrypted_lecture: Lecture) -> None:
    page = await (await new_context()).new_page()
    keys: list[dict[str, str]] = []
    page.on("request", lambda r: keys.append(r.headers) if "/hls-key/" in r.url else None)
    async with page.expect_response("**/play/") as played:
        await start_playing(page, encrypted_lecture, 0)
    first = await (await played.value).json()
    assert keys, "the package is encrypted: hls.js must have fetched its key"
    assert {h.get("x-playback-token") for h in keys} == {first["token"]}

    assert "2×" not in await page.locator("#speeds").inner_text()
    # The admin lifts the limits mid-play: the refresh brings the new policy to the page.
    status, body = await encrypted_lecture.admin_post(
        f"/api/v1/media/videos/{encrypted_lecture.video_id}/set-policy/",
        {"allow_skip": True, "max_speed": 2.0, "show_watermark": True})
    assert status == 200, body
    # 30 s tokens: refreshed a third of their life before they expire, about 20 s in.
    async with page.expect_response("**/refresh/", timeout=30_000) as refreshed:
        pass
    fresh = await (await refreshed.value).json()
    assert (await refreshed.value).status == 200 and fresh["token"] != first["token"]
    assert fresh["expires_at"] > first["expires_at"]
    assert await page.evaluate("window.lecturecast.stage.current.session.token") == \
        fresh["token"]
    assert await page.locator("#stage").get_attribute("data-state") == "playing"
    await expect(page.get_by_role("button", name="2×", exact=True)).to_be_visible()
    assert await page.locator("#seek-note").is_hidden()


async def test_a_third_browser_is_over_the_device_limit(new_context, lecture: Lecture) -> None:
    for _ in range(2):  # the tenant allows two devices; each browser profile is one
        page = await (await new_context()).new_page()
        await start_playing(page, lecture, 7, past=0.5)
        await page.get_by_role("button", name="Back to the list").click()
        await expect(page.locator("#library")).to_be_visible()
    third = await (await new_context()).new_page()
    await third.goto(lecture.player_url(7))
    await third.get_by_role("button", name=PLAY).click()
    await expect(third.locator("#stage-status")).to_contain_text(
        "reached the number of devices you may watch on")


async def test_heartbeats_every_30_seconds_with_the_position(new_context,
                                                             lecture: Lecture) -> None:
    page = await (await new_context()).new_page()
    await page.clock.install()  # real time flows; fast_forward jumps the page's timers ahead
    beats: list[dict] = []
    page.on("request", lambda r: beats.append(r.post_data_json)
            if r.url.endswith("/heartbeat/") else None)
    session_id = await start_playing(page, lecture, 8, past=1.0)
    # From here page time moves only when the test says (the video keeps playing meanwhile):
    # whenever the interval started, each 30 s jump holds exactly one of its beats.
    await page.clock.pause_at(await page.evaluate("Date.now() / 1000") + 0.01)  # seconds
    for expected in (1, 2):
        async with page.expect_response("**/heartbeat/") as answered:
            await page.clock.fast_forward(30_000)
        assert (await answered.value).status == 200
        await page.wait_for_timeout(300)
        assert len(beats) == expected
    assert all(beat["position"] > 1 for beat in beats)
    assert await page.locator("#stage").get_attribute("data-session") == session_id

    # The connection drops for one beat: said, kept playing, and cleared by the next beat.
    await page.route("**/heartbeat/", lambda route: route.abort())
    await page.clock.fast_forward(30_000)
    status = page.locator("#stage-status")
    await expect(status).to_contain_text("cannot be reached")
    await page.unroute("**/heartbeat/")
    async with page.expect_response("**/heartbeat/"):
        await page.clock.fast_forward(30_000)
    await expect(status).to_be_hidden()
    assert await page.locator("#stage").get_attribute("data-state") == "playing"
