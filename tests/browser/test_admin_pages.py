"""The admin pages in Debian's Chromium: upload to READY, resumable upload, policy, settings,
the student table after a student watched, rule editing, violations and revoking a session.

The admin side is driven through the pages; the student side (play, position samples,
heartbeat) through the HTTP API, as a player would call it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from playwright.async_api import Page, Route, expect

from config.settings import Settings
from gateway.auth import mint_token
from tests.browser.conftest import NewContext, console_errors, screenshot
from tests.conftest import GatewayProcess, TranscoderWorker
from tests.http.media_fixtures import Classroom, add_link_video, build_classroom
from tests.http.transcode_fixtures import make_source

pytestmark = [pytest.mark.stack, pytest.mark.browser]

V = "/api/v1/media/videos/"
MIB = 1024 * 1024
READY_TIMEOUT_MS = 180_000  # two shared cores: transcoding a few seconds of video can be slow
BACKEND_MS = 30_000  # what the agents write from Kafka (sessions, audit, progress) shows up by then


@dataclass
class Admin:
    """A classroom built through the API, an HTTP client on the gateway and the admin's token."""

    http: aiohttp.ClientSession
    room: Classroom
    token: str

    async def call(self, method: str, path: str, *, body: Any = None,
                   headers: dict[str, str] | None = None, expect_status: int = 200) -> Any:
        """One API call (as the admin unless ``headers``); asserts the status, returns JSON."""
        async with self.http.request(method, path, json=body,
                                     headers=headers or self.room.admin) as resp:
            text = await resp.text()
            assert resp.status == expect_status, f"{method} {path}: {resp.status} {text}"
            return await resp.json() if text else None


@pytest.fixture
async def admin(gateway: GatewayProcess, bearer: Callable[..., dict[str, str]],
                tenant_slug: str) -> AsyncIterator[Admin]:
    """A fresh academy: one lecture, one class session, two enrolled students."""
    async with aiohttp.ClientSession(base_url=gateway.url) as http:
        room = await build_classroom(http, bearer,  # type: ignore[arg-type]
                                     tenant_slug, students=2)
        token = room.admin["Authorization"].removeprefix("Bearer ")
        yield Admin(http, room, token)


def unexpected(errors: list[str], status: int, path: str) -> list[str]:
    """The page's errors, without the responses of ``status`` from ``path`` a test provoked."""
    return [e for e in errors if not (e.startswith(f"{status} ") and path in e)
            and f"status of {status}" not in e]


async def open_admin(new_context: NewContext, admin: Admin, path: str) -> tuple[Page, list[str]]:
    """A fresh browser profile signed in through the URL fragment, on ``/app/admin/{path}``."""
    context = await new_context()
    page = await context.new_page()
    errors = console_errors(page)
    await page.goto(f"/app/admin/{path}#token={admin.token}")
    await expect(page.get_by_text("Signed in as")).to_be_visible()
    assert "token=" not in page.url  # the token left the address bar
    return page, errors


async def test_an_admin_uploads_a_video_and_sees_it_become_ready(
        new_context: NewContext, admin: Admin, transcoder_worker: TranscoderWorker,
        tmp_path: Path) -> None:
    source = tmp_path / "week-1.mp4"
    await make_source(source, 320, 240, 4)
    page, errors = await open_admin(new_context, admin, "")
    session = admin.room.session["title"]
    await expect(page.get_by_role("heading", name=session)).to_be_visible()
    form = page.get_by_role("form", name=f"Upload a video to {session}")

    await form.get_by_label("Video file").set_input_files(source)
    assert await form.get_by_label("Title").input_value() == "week 1"  # from the file name
    await form.get_by_label("Title").fill("Week 1 lecture")
    assert not await form.get_by_label("Send in parts (resumable)").is_checked()  # small file
    await form.get_by_role("button", name="Upload").click()
    await expect(form.get_by_role("status")).to_have_text(re.compile(
        r'^Uploaded "Week 1 lecture"\. Transcoding (starts shortly|now)'), timeout=BACKEND_MS)
    assert await form.get_by_role("progressbar").count() == 0  # the upload bar is put away

    row = page.get_by_role("row").filter(has_text="Week 1 lecture")
    bar = row.get_by_role("progressbar", name="Transcoding progress of Week 1 lecture")
    # The row appears at once, not READY yet, with its transcoding progress bar ...
    await expect(bar).to_be_visible()
    seen = {await row.get_attribute("data-status")}
    # ... and follows the transcoder without a reload until READY at 100 %.
    deadline = time.monotonic() + READY_TIMEOUT_MS / 1000
    while await row.get_attribute("data-status") != "READY":
        assert time.monotonic() < deadline, f"still {seen}"
        seen.add(await row.get_attribute("data-status"))
        await page.wait_for_timeout(200)
    assert seen & {"UPLOADED", "PROCESSING"}, seen
    await expect(row.get_by_text("Ready", exact=True)).to_be_visible()
    assert await bar.get_attribute("value") == "100"
    await expect(row.get_by_text("0:04")).to_be_visible()  # the duration the transcoder found
    # The note under the form follows the video (it said "Transcoding starts shortly." on).
    await expect(form.get_by_role("status")).to_have_text('"Week 1 lecture" is ready.')

    videos = await admin.call("GET", f"{V}?session={admin.room.session['id']}")
    [video] = videos["results"]
    assert (video["title"], video["status"], video["file_size"]) == (
        "Week 1 lecture", "READY", source.stat().st_size)
    await screenshot(page, "admin-videos")
    assert errors == []


async def test_a_link_is_added_at_once_and_a_bad_address_is_explained(
        new_context: NewContext, admin: Admin) -> None:
    page, errors = await open_admin(new_context, admin, "")
    form = page.get_by_role("form", name=f"Add a link to {admin.room.session['title']}")
    await form.get_by_label("YouTube or web address").fill("https://youtube.com/watch?v=short")
    await form.get_by_label("Title").fill("Intro")
    await form.get_by_role("button", name="Add link").click()
    await expect(form.locator("[data-error-for=url]")).to_have_text(
        "No YouTube video id in 'https://youtube.com/watch?v=short'.")
    assert (await admin.call("GET", V))["count"] == 0

    await form.get_by_label("YouTube or web address").fill("https://youtu.be/dQw4w9WgXcQ")
    await form.get_by_role("button", name="Add link").click()
    await expect(form.get_by_role("status")).to_have_text('Added "Intro".')
    row = page.get_by_role("row").filter(has_text="Intro")
    await expect(row).to_contain_text("Ready")
    [video] = (await admin.call("GET", V))["results"]
    assert (video["title"], video["youtube_id"], video["status"]) == (
        "Intro", "dQw4w9WgXcQ", "READY")
    assert unexpected(errors, 400, "/add-url/") == []


async def test_an_interrupted_upload_in_parts_resumes_with_only_the_missing_part(
        new_context: NewContext, admin: Admin, tmp_path: Path) -> None:
    source = tmp_path / "long lecture.mp4"
    source.write_bytes(bytes(range(256)) * (9 * MIB // 256))  # 9 MiB: two parts of 8 MiB + 1
    page, errors = await open_admin(new_context, admin, "")
    puts: list[int] = []
    dropped: list[int] = []

    async def flaky_network(route: Route) -> None:
        number = int(re.search(r"partNumber=(\d+)", route.request.url)[1])  # type: ignore[index]
        puts.append(number)
        if number == 2 and not dropped:
            dropped.append(number)
            await route.abort("connectionreset")
        else:
            await route.continue_()

    await page.route(re.compile(r"partNumber=\d+"), flaky_network)
    form = page.get_by_role("form", name=f"Upload a video to {admin.room.session['title']}")
    await form.get_by_label("Video file").set_input_files(source)
    await form.get_by_label("Send in parts (resumable)").check()
    await form.get_by_role("button", name="Upload").click()
    await expect(form.get_by_role("status")).to_contain_text("Upload interrupted",
                                                             timeout=BACKEND_MS)
    await expect(form.get_by_role("button", name="Resume upload")).to_be_visible()
    assert puts == [1, 2]
    # The upload bar stays where the upload stopped: part 1 of 8 MiB out of 9 MiB.
    bar = form.get_by_role("progressbar", name=f"Upload progress of {admin.room.session['title']}")
    assert await bar.get_attribute("value") == "89"

    # The tab is closed; later the admin comes back and chooses the same file again.
    await page.reload()
    form = page.get_by_role("form", name=f"Upload a video to {admin.room.session['title']}")
    await expect(form.get_by_text("long lecture.mp4 (8.0 MB of 9.0 MB sent)")).to_be_visible()
    await form.get_by_label("Video file").set_input_files(source)
    await expect(form.get_by_text("Part of this file was already sent")).to_be_visible()
    await form.get_by_role("button", name="Upload").click()
    await expect(form.get_by_role("status")).to_have_text(re.compile(
        r'^Uploaded "long lecture"\. Transcoding (starts shortly|now)'), timeout=BACKEND_MS)
    assert puts == [1, 2, 2]  # part 1 was not sent again

    videos = await admin.call("GET", f"{V}?session={admin.room.session['id']}")
    [video] = videos["results"]
    assert video["file_size"] == source.stat().st_size
    assert [e for e in errors if "ERR_CONNECTION_RESET" not in e] == []  # only the dropped part


async def test_policy_changes_reach_the_api_and_bad_values_are_explained(
        new_context: NewContext, admin: Admin) -> None:
    # A web link (the player plays it, so its policy applies; a YouTube link has none).
    video = await admin.call("POST", f"{V}add-url/", expect_status=201, body={
        "session": admin.room.session["id"], "title": "Cells",
        "url": "https://media.example.org/cells.mp4"})
    assert video["source_type"] == "external"
    assert (video["allow_skip"], video["max_speed"], video["show_watermark"]) == (False, 1.0, True)
    page, errors = await open_admin(new_context, admin, f"video.html?id={video['id']}")
    await expect(page.get_by_role("heading", name="Cells", exact=True)).to_be_visible()
    policy = page.get_by_role("form", name="Playback policy")
    assert await policy.get_by_label("Show a watermark").is_checked()

    await policy.get_by_label("Students may seek forward").check()
    await policy.get_by_label("Show a watermark").uncheck()
    await policy.get_by_label("Maximum playback speed").fill("1.5")
    await policy.get_by_role("button", name="Save policy").click()
    await expect(policy.get_by_role("status")).to_have_text("Policy saved.")
    stored = await admin.call("GET", f"{V}{video['id']}/")
    assert (stored["allow_skip"], stored["max_speed"], stored["show_watermark"]) == (
        True, 1.5, False)

    speed = policy.get_by_label("Maximum playback speed")
    await speed.fill("9")
    await policy.get_by_role("button", name="Save policy").click()
    await expect(policy.locator("#err-max_speed")).to_have_text("Must be at most 4.0.")
    await expect(speed).to_have_attribute("aria-invalid", "true")
    assert (await admin.call("GET", f"{V}{video['id']}/"))["max_speed"] == 1.5
    await screenshot(page, "admin-video-policy")
    assert unexpected(errors, 400, "/set-policy/") == []  # only the refused save


async def test_settings_are_saved_and_field_errors_sit_next_to_their_fields(
        new_context: NewContext, admin: Admin) -> None:
    page, errors = await open_admin(new_context, admin, "settings.html")
    form = page.get_by_role("form", name="Limits and playback rules")
    await expect(form.get_by_label("Streams at once")).to_have_value("1")

    await form.get_by_label("Streams at once").fill("3")
    await form.get_by_label("When a limit is reached").select_option("evict_oldest")
    await form.get_by_label("Completion threshold").fill("0.8")
    await form.get_by_label("Encrypt new videos").check()
    await form.get_by_role("button", name="Save settings").click()
    await expect(form.get_by_role("status")).to_have_text("Settings saved.")
    stored = await admin.call("GET", "/api/v1/media/settings/")
    assert (stored["max_sessions"], stored["on_limit"], stored["completion_threshold"],
            stored["hls_encryption"]) == (3, "evict_oldest", 0.8, True)
    assert stored["max_devices"] == 2  # untouched keys keep the defaults

    await form.get_by_label("Devices per student").fill("0")
    await form.get_by_role("button", name="Save settings").click()
    await expect(form.locator("#err-max_devices")).to_have_text("Must be at least 1.")
    await expect(form.get_by_label("Devices per student")).to_have_attribute("aria-invalid", "true")
    await expect(form.get_by_role("status")).to_have_text("Not saved: see the messages above.")
    assert (await admin.call("GET", "/api/v1/media/settings/"))["max_devices"] == 2
    await screenshot(page, "admin-settings")
    assert unexpected(errors, 400, "/media/settings/") == []


async def test_a_students_viewing_shows_up_and_a_live_session_can_be_revoked(
        new_context: NewContext, admin: Admin, db: asyncpg.Pool,
        bearer: Callable[..., dict[str, str]]) -> None:
    video = await add_link_video(admin.http, admin.room, "Mitosis")  # type: ignore[arg-type]
    # A link video has no probed duration; progress is a share of it.
    await db.execute("UPDATE videos SET duration = 10 WHERE id = $1", video["id"])
    student = bearer(admin.room.tenant, role="student", sub="stu-0")
    first, second = admin.room.students
    enrollment = admin.room.enrollments[0]["id"]
    firefox = {**student, "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) "
                                        "Gecko/20100101 Firefox/121.0"}
    played = await admin.call("POST", f"{V}{video['id']}/play/", headers=firefox,
                              body={"enrollment_id": enrollment, "device_id": "web:firefox:e1a2b3c4"})

    async def report(*events: dict[str, Any]) -> None:
        await admin.call("POST", f"{V}{video['id']}/events/", headers=student, body={
            "token": played["token"], "events": [{**e, "occurred_at": time.time()}
                                                 for e in events]})

    # 3 s watched, in real time (the server's clock pays coverage), then a refused seek.
    for p in range(4):
        if p:
            await asyncio.sleep(1.0)
        await report({"type": "position", "payload": {"position": p, "rate": 1}})
    await report({"type": "seek_attempt", "payload": {"from": 3, "to": 8}})

    page, errors = await open_admin(new_context, admin, f"video.html?id={video['id']}")
    students = page.get_by_role("table", name="Students of this video's lecture")
    watched = students.get_by_role("progressbar", name=f"Progress of {first['name']}")
    await expect(watched).to_have_attribute("value", "30", timeout=BACKEND_MS)
    await expect(students.get_by_role("progressbar", name=f"Progress of {second['name']}")
                 ).to_have_attribute("value", "0")
    violations = page.get_by_role("table", name="The latest policy violations")
    refused = violations.get_by_role("row").filter(has_text=first["name"])
    await expect(refused).to_contain_text("seeking is not allowed", timeout=BACKEND_MS)
    # Words, not the stored type and payload (issue 17).
    await expect(refused).to_contain_text("skipped ahead from 0:03 to 0:08")
    await expect(violations).not_to_contain_text("SEEK_ATTEMPT")
    await expect(violations).not_to_contain_text("from: 3")

    # The second student is blocked from this video through the rule editor.
    await students.get_by_role("button", name=f"Edit the rule of {second['name']}").click()
    dialog = page.get_by_role("dialog", name=f"Rule for {second['name']}")
    await dialog.get_by_label("Access").select_option("blocked")
    await dialog.get_by_label("Maximum speed").fill("1.25")
    await dialog.get_by_role("button", name="Save rule").click()
    await expect(dialog).to_be_hidden()
    await expect(students.get_by_role("row").filter(has_text=second["name"])).to_contain_text(
        "blocked (individual)")
    rules = await admin.call("GET", f"/api/v1/media/video-permissions/?video={video['id']}")
    assert [(r["enrollment"], r["rule"], r["max_speed_override"], r["is_override"])
            for r in rules["results"]] == [(admin.room.enrollments[1]["id"], "blocked", 1.25, True)]

    live = page.get_by_role("table", name="Sessions playing this video now")
    await expect(live.get_by_role("row").filter(has_text=first["name"])).to_contain_text(
        "Firefox on Windows (e1a2b3)", timeout=BACKEND_MS)
    await expect(live).not_to_contain_text("web:firefox")
    await screenshot(page, "admin-video-students")
    await live.get_by_role("button", name=f"Revoke the session of {first['name']}").click()
    await expect(page.locator("#notice")).to_contain_text(f"Revoked the session of {first['name']}")
    beat = await admin.http.post(f"{V}{video['id']}/heartbeat/", json={"token": played["token"]},
                                 headers=student)
    assert (beat.status, (await beat.json())["detail"]) == (409, "session_revoked")
    await expect(live.get_by_text("Nobody is watching this video right now.")).to_be_visible(
        timeout=BACKEND_MS)
    gone = await admin.call("GET", f"/api/v1/media/playback-sessions/?video={video['id']}"
                                   f"&status=ACTIVE")
    assert gone["count"] == 0

    # The student's devices, from their row: readable, with first/last seen, and forgettable.
    await students.get_by_role("button", name=f"Devices of {first['name']}").click()
    devices = page.get_by_role("dialog", name=f"Devices of {first['name']}")
    device = devices.get_by_role("row").filter(has_text="Firefox on Windows (e1a2b3)")
    await expect(device).to_be_visible()
    assert len(await device.get_by_role("cell").all_inner_texts()) == 4
    await screenshot(page, "admin-student-devices")
    await device.get_by_role("button", name="Forget Firefox on Windows (e1a2b3)").click()
    await expect(devices.get_by_role("status")).to_contain_text("Forgot Firefox on Windows")
    await expect(devices.get_by_text("No devices: this student has not played yet.")).to_be_visible()
    left = await admin.call("GET", "/api/v1/media/devices/?user=stu-0")
    assert left == []
    await devices.get_by_role("button", name="Close").click()
    await expect(devices).to_be_hidden()
    assert errors == []


async def test_sign_in_refuses_what_is_not_a_token_and_a_teacher_is_told_settings_are_for_admins(
        new_context: NewContext, admin: Admin, bearer: Callable[..., dict[str, str]]) -> None:
    context = await new_context()
    page = await context.new_page()
    errors = console_errors(page)
    await page.goto("/app/admin/")
    form = page.get_by_role("form", name="Sign in")
    await form.get_by_label("Bearer token").fill("hello")
    await form.get_by_role("button", name="Sign in").click()
    await expect(form.get_by_role("alert")).to_have_text(
        "That does not look like a token: paste the whole token (three parts separated by dots).")
    await screenshot(page, "admin-sign-in")

    # Pasted with its "Bearer " prefix, as copied from a curl command.
    teacher = bearer(admin.room.tenant, role="teacher", sub="teacher-1")["Authorization"]
    await form.get_by_label("Bearer token").fill(teacher)
    await form.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text("teacher-1 (teacher)")).to_be_visible()
    await expect(page.get_by_role("heading", name=admin.room.session["title"])).to_be_visible()

    await page.get_by_role("link", name="Academy settings").click()
    await expect(page.locator("#notice")).to_have_text(
        "Your sign-in may not do this. Managers (admin, staff, teacher) manage videos; "
        "only admins change the academy's settings.")
    await expect(page.get_by_role("button", name="Save settings")).to_be_disabled()
    assert unexpected(errors, 403, "/media/settings/") == []


async def test_a_token_that_expires_while_the_page_is_open_asks_for_a_new_one(
        new_context: NewContext, admin: Admin, settings: Settings) -> None:
    video = await add_link_video(admin.http, admin.room, "Osmosis")  # type: ignore[arg-type]
    short = mint_token(settings.auth_jwt_secret, tenant=admin.room.tenant, sub="admin-1",
                       role="admin", ttl_seconds=6)
    context = await new_context()
    page = await context.new_page()
    errors = console_errors(page)
    await page.goto(f"/app/admin/video.html?id={video['id']}#token={short}")
    await expect(page.get_by_role("heading", name="Osmosis", exact=True)).to_be_visible()
    # The page keeps polling; the first answer after the expiry signs it out with the reason.
    form = page.get_by_role("form", name="Sign in")
    await expect(form.get_by_role("alert")).to_have_text(
        "You are not signed in, or your sign-in has expired. Paste a fresh admin token. "
        "(Token has expired.)", timeout=BACKEND_MS)
    await expect(page.get_by_role("heading", name="Osmosis", exact=True)).to_be_hidden()
    assert await page.evaluate("sessionStorage.length") == 0  # the dead token is gone
    assert unexpected(errors, 401, "/api/v1/") == []
