"""The player's ES modules unit by unit, imported into a page of the gateway's origin.

No build step means no Node test harness for browser code; Chromium imports the very files the
pages use, and stand-in collaborators (an ``api`` object that records calls) make each rule
observable: the queue's 10-event flush, its retry with the same batch id, its stop on 409.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import REQUIRED

try:
    from playwright.async_api import Page
except ImportError:
    if REQUIRED:
        raise
    pytest.skip("browser tests need the playwright package", allow_module_level=True)

pytestmark = [pytest.mark.stack, pytest.mark.browser]


@pytest.fixture
async def page(new_context) -> Page:
    """A blank page of the gateway's origin (the landing page: no player wiring runs)."""
    page = await (await new_context()).new_page()
    await page.goto("/app/")
    return page


async def test_speed_buttons_follow_the_policy(page: Page) -> None:
    speeds = await page.evaluate("""async () => {
        const { allowedSpeeds } = await import("/app/player/policy.js");
        return [
            allowedSpeeds({ playback_rate: { max: 1, ui_control: true } }),
            allowedSpeeds({ playback_rate: { max: 2, ui_control: true } }),
            allowedSpeeds({ playback_rate: { max: 1.5, ui_control: false } }),
            allowedSpeeds({}),
        ];
    }""")
    assert speeds == [[0.75, 1], [0.75, 1, 1.25, 1.5, 1.75, 2], [], [0.75, 1]]


async def test_every_refusal_reads_as_a_sentence(page: Page) -> None:
    codes = ["concurrency_limit_exceeded", "device_limit_exceeded", "blocked",
             "already_completed_once", "video_not_ready", "no_session_access",
             "enrollment_not_found", "student_profile_not_linked", "session_revoked",
             "session_not_active", "token_expired", "invalid_token",
             "session_service_unavailable"]
    texts = await page.evaluate("""async (codes) => {
        const { messageFor } = await import("/app/shared/messages.js");
        return codes.map((code) => messageFor({ status: 409, code }));
    }""", codes)
    assert len(set(texts)) == len(codes)  # each its own sentence
    for code, text in zip(codes, texts):
        assert "_" not in text and text.endswith(".") and len(text) > 30, (code, text)
    # What to do at the device limit: an old device, or the teacher forgets one (issue 17).
    device_limit = texts[codes.index("device_limit_exceeded")]
    assert "used before" in device_limit and "teacher to forget" in device_limit
    fallback = await page.evaluate("""async () => {
        const { messageFor } = await import("/app/shared/messages.js");
        return [messageFor({ status: 502, code: "bad_gateway_x" }), messageFor(null)];
    }""")
    assert all("_" not in t for t in fallback)


def queue_run(steps: str) -> str:
    """A page function: an EventQueue on a recording ``api``, ``steps`` run against it.

    ``steps`` may use ``queue``, ``setAnswer(fn)`` (what the next posts answer) and
    ``fail(status, code)``; the result lists the posts, the refusals and what is left.
    """
    return """async () => {
        const { EventQueue } = await import("/app/player/event-queue.js");
        const calls = [];
        let answer = () => ({ stored: 1 });
        const setAnswer = (fn) => { answer = fn; };
        const fail = (status, code) => Object.assign(new Error(code), { status, code });
        const api = { post: async (url, body) => {
            calls.push({ url, batch: body.batch_id, n: body.events.length, token: body.token,
                         types: body.events.map((e) => e.type) });
            const result = answer(body);
            if (result instanceof Error) throw result;
            return result;
        } };
        const rejected = [];
        const queue = new EventQueue({ api, videoId: 7, token: () => "tok", sessionId: "s1",
                                       onRejected: (e) => rejected.push(e.code) });
        %s
        return { calls, rejected, queued: queue.queue.length, closed: queue.closed };
    }""" % steps


async def test_the_queue_flushes_at_ten_events(page: Page) -> None:
    got = await page.evaluate(queue_run("""
        for (let i = 0; i < 9; i++) queue.push("position", { position: i, rate: 1 });
        await new Promise((r) => setTimeout(r, 50));
        if (queue.queue.length !== 9) throw new Error("flushed before 10");
        queue.push("pause", {});
        await new Promise((r) => setTimeout(r, 50));
    """))
    assert got["calls"] == [{"url": "/api/v1/media/videos/7/events/", "batch": "s1-1", "n": 10,
                             "token": "tok", "types": ["position"] * 9 + ["pause"]}]
    assert got["queued"] == 0


async def test_a_failed_batch_is_resent_as_it_was(page: Page) -> None:
    got = await page.evaluate(queue_run("""
        setAnswer(() => fail(503, "events_not_stored"));
        queue.push("play_start", {});
        await queue.flush();
        queue.push("pause", {});  // arrives while the first batch waits for its retry
        setAnswer(() => ({ stored: 1 }));
        await queue.flush();
        await queue.flush();
    """))
    assert [(c["batch"], c["types"]) for c in got["calls"]] == [
        ("s1-1", ["play_start"]), ("s1-1", ["play_start"]), ("s1-2", ["pause"])]


async def test_a_refused_session_stops_the_queue(page: Page) -> None:
    got = await page.evaluate(queue_run("""
        setAnswer(() => fail(409, "session_not_active"));
        queue.push("position", { position: 1, rate: 1 });
        await queue.flush();
        queue.push("position", { position: 2, rate: 1 });
        await queue.flush();
    """))
    assert got["rejected"] == ["session_not_active"] and got["closed"] is True
    assert len(got["calls"]) == 1 and got["queued"] == 0


async def test_admin_pages_say_events_in_words(page: Page) -> None:
    said = await page.evaluate("""async () => {
        const w = await import("/app/admin/js/wording.js");
        const cases = [
            ["SEEK_ATTEMPT", { to: 17.395877, from: 12.40019, allowed: false }],
            ["SEEK_ATTEMPT", { from: 80, to: 5, allowed: true }],
            ["SEEK_ATTEMPT", { from: "x" }],
            ["SPEED_CHANGE_ATTEMPT", { requested: 2, allowed: 1.5 }],
            ["POSITION", { position: 75.2, rate: 2 }],
            ["VISIBILITY_HIDDEN", {}], ["FOCUS_LOST", null], ["FULLSCREEN_ENTER", []],
            ["PLAYER_ERROR", { message: "media decode" }], ["MULTIPLE_SCREENS", { count: 2 }],
            ["SOMETHING_NEW", {}],
        ];
        return {
            sentences: cases.map(([t, p]) => w.eventSentence(t, p)),
            labels: ["SEEK_ATTEMPT", "SPEED_CHANGE_ATTEMPT", "VISIBILITY_HIDDEN", "FOCUS_LOST",
                     "FULLSCREEN_EXIT", "SOMETHING_NEW"].map(w.eventLabel),
            reasons: ["seek_not_allowed", "rate_exceeded", "new_reason", ""].map(w.reasonText),
        };
    }""")
    assert said["sentences"] == [
        "skipped ahead from 0:12 to 0:17 (not allowed)",
        "went back from 1:20 to 0:05 (allowed)",
        "skipped ahead from an unknown point to an unknown point",
        "asked for 2x (at most 1.5x allowed)",
        "was at 1:15, playing at 2x",
        "hid the player's tab or window",
        "switched to another window (the player lost focus)",
        "went full screen",
        "the player reported an error: media decode",
        "used several screens (2)",
        "something new",
    ]
    assert said["labels"] == ["Seek", "Speed change", "Tab hidden", "Focus lost",
                              "Left full screen", "Something new"]
    assert said["reasons"] == ["seeking is not allowed", "played faster than allowed",
                               "new reason", ""]


async def test_devices_have_readable_names(page: Page) -> None:
    uas = {
        "chrome_linux": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
                        " Chrome/120.0.0.0 Safari/537.36",
        "edge_windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                        "like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
        "firefox_mac": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101"
                       " Firefox/121.0",
        "safari_iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605"
                         ".1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "chrome_android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, "
                          "like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    }
    names = await page.evaluate("""async (uas) => {
        const { deviceName } = await import("/app/admin/js/wording.js");
        const id = "web:chromium:fc3219b5aa0e4c7d9d1e";
        return [
            ...Object.values(uas).map((ua) => deviceName(id, ua)),
            deviceName("web:firefox:0a1b2c3d4e", ""),
            deviceName("web:chromium:fc3219b5aa", null),
            deviceName("web:volatile:99aa", undefined),
            deviceName("laptop-1", "curl/8.0"),
        ];
    }""", uas)
    assert names == [
        "Chrome on Linux (fc3219)", "Edge on Windows (fc3219)", "Firefox on macOS (fc3219)",
        "Safari on iOS (fc3219)", "Chrome on Android (fc3219)",
        "Firefox (0a1b2c)", "A Chrome-like browser (fc3219)", "A private window (99aa)",
        "A device (laptop)",
    ]
