"""Browser journeys: Playwright driving Debian's chromium against a live portal.

Without chromium the journeys skip with the reason, unless CI is set: then they fail.

Tests take pytest-playwright's `page`, `context` and `new_context` fixtures (never
`browser.new_page()`), so that the plugin tracks their pages and, with the project's
`--screenshot=only-on-failure --output=test-artifacts`, leaves a screenshot of each
page of a failed test in test-artifacts/. A test that needs other context options
says so with `@pytest.mark.browser_context_args(...)` (`new_context()` arguments may not
repeat those of `browser_context_args` below).
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.services import unavailable

# Playwright's sync API keeps an event loop running in the main thread for the rest of
# the session; the tests' own database calls stay synchronous and safe (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        unavailable("Debian's chromium is not installed (make browser, as root)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The same browser wherever the tests run: the machine's zone and language would
    # otherwise leak into the times the pages show.
    return {
        **browser_context_args,
        "timezone_id": "UTC",
        "locale": "en-GB",
        "accept_downloads": True,
    }


@pytest.fixture
def axe_script() -> Path:
    if not AXE.exists():
        unavailable("axe-core is not installed (npm ci)")
    return AXE


@pytest.fixture(scope="session")
def base_url():
    # Tests use live_server.url. (This also replaces pytest-playwright's own fixture,
    # which pytest deprecates for being a session fixture on an instance method.)
    return None
