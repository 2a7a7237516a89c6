"""Browser fixtures: a real gateway process, Debian's Chromium driven by Playwright, screenshots.

The page, the API and the local CDN (``/hls/``) are one origin (the gateway process), so the
CloudFront cookies set by ``play/`` reach the segment requests exactly as in production.
Playwright's async API runs on each test's own event loop: one browser per test (a launch is
about a second), fresh contexts per test, nothing shared across loops.

Outside ``make test`` a missing prerequisite (Chromium, Playwright, ``web/node_modules``) skips
these tests with the reason; inside ``make test`` (``LECTURECAST_REQUIRE_BROWSER=1``, set by
infra/test.sh) it fails them, so the suite can never go green without its browser tests.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from config.settings import Settings
from gateway.pages import Pages, WEB_ROOT
from tests.browser.lecture import Lecture, build_lecture
from tests.conftest import ROOT, STACK_UP, AgentsWorker, GatewayProcess, TranscoderWorker

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
# The closed network refuses Chromium's background connections; these flags stop it trying.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Headless Chromium blocks autoplay with sound; the tests press Play like a person would,
    # but a resumed video must start without a second gesture.
    "--autoplay-policy=no-user-gesture-required",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
REQUIRED = os.environ.get("LECTURECAST_REQUIRE_BROWSER") == "1"


def missing_prerequisites() -> list[str]:
    """What the browser tests need and this machine lacks (empty: all present)."""
    missing = []
    if not STACK_UP:
        missing.append("the test stack (run `make test`)")
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} (Debian package chromium; infra/install.sh installs it)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -e '.[test]')")
    if not Pages(WEB_ROOT).installed():
        missing.append("web/node_modules (infra/install.sh runs npm ci in web/)")
    return missing


@pytest.fixture(scope="session", autouse=True)
def browser_prerequisites() -> None:
    """Skip (or, under ``make test``, fail) when the browser tests cannot run here."""
    missing = missing_prerequisites()
    if not missing:
        return
    reason = "browser tests need " + ", ".join(missing)
    if REQUIRED:
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def gateway(browser_prerequisites: None, agents_worker: AgentsWorker,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A ``python -m gateway`` process serving pages, API and local CDN on one origin."""
    process = GatewayProcess(free_port(), tmp_path_factory.mktemp("browser-gw") / "gw.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _build(gateway: GatewayProcess, settings: Settings, scratch: Path,
           **tenant_settings: object) -> Lecture:
    # On a loop of its own in a thread: the tests' loops live one test each.
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, build_lecture(
            gateway.url, settings.auth_jwt_secret, tenant, scratch, **tenant_settings)).result()


@pytest.fixture(scope="session")
def lecture(gateway: GatewayProcess, transcoder_worker: TranscoderWorker, settings: Settings,
            tmp_path_factory: pytest.TempPathFactory) -> Lecture:
    """One class with a transcoded video, shared by the browser tests (each uses own students)."""
    return _build(gateway, settings, tmp_path_factory.mktemp("lecture"))


@pytest.fixture(scope="session")
def encrypted_lecture(gateway: GatewayProcess, transcoder_worker: TranscoderWorker,
                      settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Lecture:
    """Another tenant: AES-128 encrypted HLS packages, 30 s playback tokens (refreshed often)."""
    return _build(gateway, settings, tmp_path_factory.mktemp("encrypted"), hls_encryption=True,
                  playback_ttl_seconds=30)


@pytest.fixture
async def browser(browser_prerequisites: None) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, launched for this test on this test's loop."""
    from playwright.async_api import async_playwright
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                            headless=True)
        try:
            yield launched
        finally:
            await launched.close()


NewContext = Callable[..., Awaitable["BrowserContext"]]


@pytest.fixture
async def new_context(browser: Browser, gateway: GatewayProcess) -> AsyncIterator[NewContext]:
    """Factory: a fresh browser profile (own cookies, own localStorage) on the gateway."""
    contexts: list[BrowserContext] = []

    async def _make(**options: object) -> BrowserContext:
        context = await browser.new_context(base_url=gateway.url,
                                            viewport={"width": 1200, "height": 860}, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield _make
    for context in contexts:
        await context.close()


def console_errors(page: Page) -> list[str]:
    """Collect the page's console errors, uncaught exceptions and failed responses, from now on.

    Responses the test expects to fail (a refused play/) are the caller's to filter out.
    """
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda resp: errors.append(f"{resp.status} {resp.url}")
            if resp.status >= 400 else None)
    return errors


async def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as ``test-artifacts/screenshots/{name}.png``; returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]", "-", name) + ".png")
    await page.screenshot(path=str(path), full_page=True)
    return path
