"""Chromium on Home Assistant's real frontend: the browser tests' harness.

Home Assistant and the emulator run as in the end-to-end tests, in a private
network namespace when the tests may. Chromium is Debian's
(``/usr/bin/chromium``); Playwright never downloads one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
import contextlib
from contextlib import contextmanager
import io
import json
import os
from pathlib import Path
import re
import subprocess

from PIL import Image
from playwright.sync_api import (
    Browser,
    Page,
    Playwright,
    Route,
    TimeoutError as PlaywrightTimeoutError,
    ViewportSize,
    expect,
    sync_playwright,
)

from tests.harness.processes import (
    ROOT,
)

from .frontend import RELEASE, SCREENSHOTS_RELEASE

CHROMIUM = Path(os.environ.get("HEARTH_CHROMIUM", "/usr/bin/chromium"))


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


VIEWPORT: ViewportSize = {"width": 1280, "height": 800}


#: How long a step waits for the page: generous, for a busy 2-core machine.
TIMEOUT_MS = 30_000


#: How long a screenshot waits for the page to stop loading, at most.
SETTLE_TIMEOUT_MS = 5_000


SCREENSHOTS = ROOT / "docs" / "images"


#: The hub's and the cloud's ports in scripts/develop.
DEVELOP_PORTS = (8443, 8444)


#: A second full-access key of the hub: the one entered after a revocation.
NEW_API_KEY = "browser-new-key"


#: Integrations' brand images, which Home Assistant 2026.x serves itself;
#: Hearth's come from its own folder, the others from the internet.
BRAND_IMAGES = re.compile(r"/api/brands/")


HEARTH_BRAND_IMAGES = "/api/brands/integration/hearth/"


#: The namespace's "home network": documentation addresses, nothing routed.
LAN_IPV4 = "192.0.2.10/24"


LAN_IPV6 = "2001:db8::10/64"


LAN_GATEWAY = "192.0.2.1"


NETNS_SETUP = [
    ["link", "set", "lo", "up"],
    ["link", "add", "hearth0", "type", "veth", "peer", "name", "hearth1"],
    ["link", "set", "hearth0", "up"],
    ["link", "set", "hearth1", "up"],
    ["addr", "add", LAN_IPV4, "dev", "hearth0"],
    ["-6", "addr", "add", LAN_IPV6, "dev", "hearth0", "nodad"],
    ["route", "add", "default", "via", LAN_GATEWAY],
]


#: configuration.yaml: the end-to-end one plus the frontend, and history and
#: logbook (with the recorder they need) as in scripts/develop, so that an
#: entity's dialog shows its history; zeroconf in the private network only:
#: elsewhere it would browse the machine's network.
CONFIGURATION = """\
# Written by tests/browser/conftest.py.
frontend:
config:
history:
logbook:
{discovery}automation: !include automations.yaml
logger:
  default: warning
  logs:
    custom_components.hearth: info
"""


@contextmanager
def private_network() -> Iterator[bool]:
    """Move this thread (and what it starts) into a new network namespace.

    Yields whether it could; without the privilege to create one (or without
    iproute2's ``ip``), the tests run on the machine's loopback and the
    discovery test is skipped.
    """
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        try:
            os.unshare(os.CLONE_NEWNET)
        except OSError:
            yield False
            return
        try:
            for command in NETNS_SETUP:
                subprocess.run(["ip", *command], check=True, capture_output=True)  # noqa: S603, S607
        except (OSError, subprocess.CalledProcessError):
            os.setns(original, os.CLONE_NEWNET)
            yield False
            return
        try:
            yield True
        finally:
            os.setns(original, os.CLONE_NEWNET)
    finally:
        os.close(original)


def mark_core_config_done(config_dir: Path) -> None:
    """Mark the onboarding's location step done before Home Assistant starts.

    The harness onboards through the REST API but leaves this step out (it
    sets up met, radio_browser and google_translate, which want the
    internet); the frontend sends a browser to the onboarding until every
    step is done.
    """
    storage = config_dir / ".storage"
    storage.mkdir()
    (storage / "onboarding").write_text(
        json.dumps(
            {
                "version": 4,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": ["core_config"]},
            }
        )
    )


class BrowserThread:
    """Chromium, driven from a thread of its own.

    Playwright's sync API marks its event loop as running in the thread that
    uses it, which would stop pytest's event loop (and the harness's
    WebSocket calls) from running in the test's thread. So every browser step
    runs in this one thread: ``ui(step)`` calls ``step(page)`` there and
    returns its result (or raises its exception). The thread is started from
    the test's thread, so it is in the same network namespace.
    """

    def __init__(self, failures: Path) -> None:
        """Start the thread; the browser starts with :meth:`open`.

        A step that fails leaves a screenshot of the page in ``failures``.
        """
        self._failures = failures
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="playwright")
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None

    def __call__[T](self, step: Callable[[Page], T]) -> T:
        """Run ``step`` with the page, in the browser's thread."""
        return self._executor.submit(self._run, step).result()

    def _run[T](self, step: Callable[[Page], T]) -> T:
        assert self._page is not None, "the browser is not open"
        try:
            return step(self._page)
        except BaseException:
            failed = len(list(self._failures.glob("failure-*.png"))) + 1
            self._page.screenshot(path=self._failures / f"failure-{failed}.png")
            raise

    def open(self) -> None:
        """Launch Debian's Chromium and open one tab."""
        self._executor.submit(self._open).result()

    def _open(self) -> None:
        os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        self._playwright = sync_playwright().start()
        # Home Assistant's test plugin fails a test that leaves a new thread
        # behind: give Playwright's loop a one-thread executor, started now.
        # (The loop comes from Home Assistant's loop policy, which warns about
        # this call on its own loops; this one only runs Playwright.)
        executor = ThreadPoolExecutor(1, thread_name_prefix="playwright-io")
        executor.submit(int).result()
        loop = asyncio.get_running_loop()
        assert isinstance(loop, asyncio.BaseEventLoop)
        asyncio.BaseEventLoop.set_default_executor(loop, executor)
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000
        )
        context = self._browser.new_context(
            viewport=VIEWPORT, locale="en-US", timezone_id="UTC", color_scheme="light"
        )
        context.route(BRAND_IMAGES, brand_image)
        context.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        self._page = context.new_page()

    def close(self) -> None:
        """Close the browser and stop the thread."""
        self._executor.submit(self._close).result()
        self._executor.shutdown()

    def _close(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()


def brand_image(route: Route) -> None:
    """Let Home Assistant serve Hearth's brand images; answer the others "not found".

    Home Assistant 2026.x fetches an integration's images from the internet
    (up to 10 s, then 10 s more for a placeholder); there is none here, and
    Add integration asks for dozens at once. They would fill Chromium's six
    connections to Home Assistant, and the config flow that the dialog then
    starts would wait a minute for one. Home Assistant without the internet
    answers "not found" in the end: this answers it at once.
    """
    if HEARTH_BRAND_IMAGES in route.request.url:
        route.fallback()
    else:
        route.fulfill(status=404)


def screenshot(page: Page, name: str) -> None:
    """Save the page as docs/images/<name>.png when HEARTH_SCREENSHOTS=1.

    Only on the release the README's pictures show (SCREENSHOTS_RELEASE):
    the run on another leaves them alone. It waits until the page has loaded
    what it asked for (icons come late), and stores the picture with a
    256-colour palette, a third of the size.
    """
    if os.environ.get("HEARTH_SCREENSHOTS") != "1" or RELEASE != SCREENSHOTS_RELEASE:
        return
    # Best effort: Home Assistant's frontend may keep fetching for a while.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=SETTLE_TIMEOUT_MS)
    png = page.screenshot(animations="disabled", caret="hide")
    with Image.open(io.BytesIO(png)) as image:
        palette = image.convert("RGB").quantize(256, dither=Image.Dither.NONE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    palette.save(SCREENSHOTS / f"{name}.png", optimize=True)
