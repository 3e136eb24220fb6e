"""A person in the browser: a page of the workbench at a chosen viewport, signed in
through the sign-in form (tests/browser)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.gateway import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".run" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

# an open select's (or tree-select's) dropdown: Element Plus teleports it to <body>; one
# just closed stays "visible" while it fades out (its transition's leave classes on it),
# its options still in place, and one just clicked opens a tick later
OPEN_DROPDOWN = ".el-select__popper:visible"
CLOSING = ".el-popper[class*='-leave-active']"
OPTION = ".el-select-dropdown__item, .el-tree-node__content"


def pick(page: Page, text: str) -> None:
    """Click an option of the one open select dropdown — once any other has faded out
    (an option of the dropdown closing would be found first, then vanish under the
    click)."""
    expect(page.locator(CLOSING)).to_have_count(0)
    dropdown = page.locator(OPEN_DROPDOWN)
    expect(dropdown).to_have_count(1)
    dropdown.locator(OPTION, has_text=text).first.click()


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
        # not "networkidle": the workbench keeps its live notification stream open
        self.page.wait_for_load_state("load")
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.el-loading-mask')]"
            ".some((m) => m.offsetParent !== null)",
            timeout=10_000,
        )
        self.page.wait_for_timeout(300)  # transitions of Element Plus
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()
