"""A teacher's and a student's first hour (issue 17): what a newcomer stumbled on, in Chromium.

- An honest full watch, play to ``ended`` with nothing skipped, is 100 % and watched fully
  (it was 92 % and "Watched fully: 0": the first and last seconds were never paid).
- No stale message: "Starting your viewing session…" is gone once a link video shows its
  YouTube note; a link video's page says why it has no playback policy instead of a form.
  (The upload form's "Transcoding starts shortly." is checked in test_admin_pages.py.)
- The student's library shows the transcoder's posters (signed URLs through the CDN: no
  cookies exist before play) and the header names the student, not the token's ``sub``.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import REQUIRED
from tests.browser.lecture import Lecture, eventually

try:
    from playwright.async_api import expect
except ImportError:
    if REQUIRED:  # under `make test` a missing Playwright is a failure, never a skip
        raise
    pytest.skip("browser tests need the playwright package (pip install -e '.[test]')",
                allow_module_level=True)

pytestmark = [pytest.mark.stack, pytest.mark.browser]
PLAY = "Play Cell biology.mp4"
WATCHER = 10  # this file's students: stu-10 and up (test_player.py uses 0-8)


async def test_an_honest_full_watch_is_100_percent_and_watched_fully(
        new_context, lecture: Lecture) -> None:
    page = await (await new_context()).new_page()
    await page.goto(lecture.player_url(WATCHER))
    await page.get_by_role("button", name=PLAY).click()
    await page.wait_for_function("() => document.getElementById('video').ended",
                                 timeout=90_000)
    await expect(page.locator("#stage")).to_have_attribute("data-state", "playing")

    async def watched_fully() -> dict | None:
        rows = (await lecture.admin_get(
            f"/api/v1/media/video-progress/?video={lecture.video_id}"
            f"&enrollment={lecture.enrollment(WATCHER)}"))["results"]
        return rows[0] if rows and rows[0]["progress"] == 1.0 else None

    row = await eventually(watched_fully, "progress 100 %")
    assert row["completed"] is True
    stats = await lecture.admin_get(f"/api/v1/media/videos/{lecture.video_id}/stats/")
    assert stats["stats"]["completed_100"] >= 1, stats["stats"]


async def link_video(lecture: Lecture, title: str) -> int:
    status, body = await lecture.admin_post("/api/v1/media/videos/add-url/", {
        "session": lecture.room.session["id"], "title": title,
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"})
    assert status == 201, body
    return int(body["id"])


async def test_a_youtube_video_leaves_no_starting_message_above_its_note(
        new_context, lecture: Lecture) -> None:
    await link_video(lecture, "Guest talk")
    page = await (await new_context()).new_page()
    await page.goto(lecture.player_url(WATCHER + 1))
    await page.get_by_role("button", name="Play Guest talk").click()
    await expect(page.get_by_role("link", name="open it on YouTube")).to_be_visible()
    status = page.locator("#stage-status")
    await expect(status).to_be_hidden()  # was "Starting your viewing session…"


async def test_a_youtube_videos_page_says_the_playback_policy_cannot_apply(
        new_context, lecture: Lecture) -> None:
    video_id = await link_video(lecture, "Opening talk")
    token = lecture.room.admin["Authorization"].removeprefix("Bearer ")
    page = await (await new_context()).new_page()
    await page.goto(f"/app/admin/video.html?id={video_id}#token={token}")
    await expect(page.get_by_role("heading", name="Students")).to_be_visible()
    await expect(page.get_by_text("plays on YouTube")).to_be_visible()
    await expect(page.locator("#policy")).to_be_hidden()  # was the whole form, saving nothing
    # An uploaded video keeps its form.
    await page.goto(f"/app/admin/video.html?id={lecture.video_id}")
    await expect(page.get_by_role("button", name="Save policy")).to_be_visible()
    await expect(page.get_by_text("plays on YouTube")).to_be_hidden()


async def test_the_library_shows_posters_and_the_students_name(
        new_context, lecture: Lecture) -> None:
    student = WATCHER + 1  # only looks at the list: shares stu-11 with nothing that plays
    page = await (await new_context()).new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    await page.goto(lecture.player_url(student))
    await expect(page.locator("#who")).to_have_text(f"Signed in as Student {student}")
    row = page.locator(f'#video-list li[data-video="{lecture.video_id}"]')
    poster = row.locator("img.poster")
    await expect(poster).to_have_count(1)
    # Loaded through the local CDN before any play set the video's cookies: a signed URL.
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=await poster.element_handle(),
        timeout=15_000)
    assert "Signature=" in (await poster.get_attribute("src") or "")
    assert failed == []
