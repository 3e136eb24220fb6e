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
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.e2e.conftest import (  # noqa: F401 - fixtures shared with the e2e tests
    PASSWORD,
    Gateway,
    Office,
    User,
    gw,
    platform_admin,
    settings,
    setup_office,
    unique,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".run" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def web_build() -> Path:
    """The web app, built (``make web`` is a no-op when nothing changed)."""
    subprocess.run(["make", "--no-print-directory", "web"], cwd=ROOT, check=True)
    dist = ROOT / "web" / "dist"
    assert (dist / "index.html").is_file()
    return dist


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    subprocess.run(["bash", str(ROOT / "scripts" / "ensure-browser.sh")], check=True)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
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


class Person:
    """Somebody at a browser: their own context (cookies, storage) and page."""

    def __init__(self, browser: Browser, base_url: str, viewport: dict[str, int]) -> None:
        self.base_url = base_url
        self.context: BrowserContext = browser.new_context(
            base_url=base_url, viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        self.page: Page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))

    def open(self, path: str = "/") -> Page:
        self.page.goto(path)
        return self.page

    def sign_in(self, tenant: str, username: str, password: str = PASSWORD) -> Page:
        page = self.open("/login")
        page.get_by_label("租户代码").fill(tenant)
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录").click()
        return page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_timeout(300)  # transitions of Element Plus
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


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
