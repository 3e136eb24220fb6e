"""Browser tests: Debian's Chromium, headless, driven by Playwright, against the
session's test stack through the web workbench its gateway serves (web/dist).

Data is set up through the HTTP API as in tests/e2e (an office with a registry, a
division and its staff); then people sign in and work in their own browser contexts.
Screenshots of each main page, at 1366×768 and at phone width (390×844), are written
to .run/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from tests.support import gateway_fixtures
from tests.support.browser import DESKTOP, Person

# the session fixtures of the suites through the gateway (tests/e2e, tests/browser)
settings = gateway_fixtures.settings
gw = gateway_fixtures.gw
platform_admin = gateway_fixtures.platform_admin

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".run" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def web_build() -> Path:
    """The web app, built (``make web`` is a no-op when nothing changed)."""
    subprocess.run(["make", "--no-print-directory", "web"], cwd=ROOT, check=True)
    dist = ROOT / "web" / "dist"
    assert (dist / "index.html").is_file()
    return dist


# package scope: Playwright's sync API runs an asyncio loop in this thread while it is
# open; stopped when tests/browser is done, it leaves no running loop to the suites
# collected after it (their asyncio.run would fail)
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-browser.sh")], check=True)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"],
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def web_url(gateway_url: str, web_build: Path) -> str:
    return gateway_url


@pytest.fixture()
def people(browser: Browser, web_url: str) -> Iterator[Any]:
    """``people(viewport=DESKTOP)`` opens a new person's browser; closed afterwards."""
    opened: list[Person] = []

    def open_person(viewport: dict[str, int] = DESKTOP) -> Person:
        person = Person(browser, web_url, viewport)
        opened.append(person)
        return person

    yield open_person
    for person in opened:
        person.close()
