"""Notifications live in the browser: an urge reaches the handler's open workbench — the
bell's badge counts one more and a toast says 催办 within seconds, without reloading —
and the toast opens the document; a stream dropped (the browser offline) resumes from
the last notification it got, so what was written meanwhile shows once in the 通知
list, not lost and not twice; 通知设置 keeps the channels chosen per kind, the inbox
always on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Response, expect

from tests.support.browser import DESKTOP, PHONE, Person
from tests.support.gateway import Gateway, Office, User, act, ok, open_task, register, setup_office
from tests.support.stacks import unique
from tests.support.waiting import eventually

People = Any
STREAM = "/api/v1/notifications/stream"


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("ln"), "实时通知测试厅")
    for unit in ("文书处", "电子政务处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("ban", "李承办", "电子政务处", ["handler"])
    yield built


def held_task(office: Office, title: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document registered and distributed, signed for by the handler: the 拟办 task
    they hold, which the registry may urge."""
    registrar, handler = office["wenshu"], office["ban"]
    doc = register(registrar, title)
    ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute", json={"lead_unit_id": office.units["电子政务处"]}
        )
    )
    sign = open_task(handler, doc["id"], "division_sign")
    [propose] = act(handler, sign["id"], action="sign")["next_tasks"]
    return doc, dict(propose)


def settled_unread(office: Office) -> int:
    """The handler's unread count once the to-dos of the setup have all been written."""
    handler = office["ban"]

    def steady() -> int | None:
        first = ok(handler.get("/notifications", params={"limit": 1}))["unread_count"]
        time.sleep(1.0)
        again = ok(handler.get("/notifications", params={"limit": 1}))["unread_count"]
        return first if first == again and first > 0 else None

    return int(eventually(steady, timeout=20, what="the handler's unread count to settle"))


def urge_notification(office: Office, doc: dict[str, Any], message: str) -> dict[str, Any]:
    """The handler's notification of the urge with ``message`` on ``doc`` (waits for it)."""

    def find() -> dict[str, Any] | None:
        page = ok(office["ban"].get("/notifications", params={"limit": 50}))
        for item in page["items"]:
            if (item["kind"], item["document_id"]) == ("urge", doc["id"]) and item["body"].endswith(
                message
            ):
                return dict(item)
        return None

    return dict(eventually(find, what=f"the urge {message!r}"))


class Handler:
    """李承办 at a browser, with the notification streams their page opened."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.page = person.page
        self.streams: list[Request] = []  # requests of the stream, in order
        self.answered: list[Response] = []  # their answers (headers received)
        self.page.on("request", lambda r: self.streams.append(r) if STREAM in r.url else None)
        self.page.on("response", lambda r: self.answered.append(r) if STREAM in r.url else None)

    def wait(self, probe: Any, what: str, timeout: float = 15.0) -> Any:
        """Until ``probe()`` is truthy, the page's events delivered meanwhile (Playwright's
        sync API runs them only while it is called)."""
        deadline = time.monotonic() + timeout
        while not (found := probe()):
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            self.page.wait_for_timeout(100)
        return found

    def stream_open(self) -> Response:
        """Until the page's latest notification stream is answered 200."""

        def latest() -> Response | None:
            if not self.streams or not self.answered:
                return None
            last = self.answered[-1]
            return last if last.request == self.streams[-1] and last.status == 200 else None

        return self.wait(latest, "the notification stream to be open")


def signed_in(people: People, office: Office, viewport: dict[str, int] = DESKTOP) -> Handler:
    handler = Handler(people(viewport))
    page = handler.person.sign_in(office.code, "ban")
    expect(page.get_by_text("您好，李承办")).to_be_visible()
    return handler


def badge(page: Page) -> Any:
    return page.locator("[data-test=bell] .el-badge__content")


def urge(office: Office, task: dict[str, Any], message: str) -> None:
    ok(office["wenshu"].post(f"/tasks/{task['id']}/urge", json={"message": message}))


def test_an_urge_shows_at_once_on_the_open_workbench(people: People, office: Office):
    title = "关于报送全省政务信息化项目清单的通知"
    doc, task = held_task(office, title)
    before = settled_unread(office)
    handler = signed_in(people, office)
    page = handler.page
    expect(badge(page)).to_have_text(str(before))
    handler.stream_open()
    page.evaluate("window.__notReloaded = true")

    urge(office, task, "请今日内办理")
    expect(badge(page)).to_have_text(str(before + 1), timeout=3_000)
    toast = page.locator(".el-notification", has_text="催办")
    expect(toast).to_be_visible(timeout=3_000)
    expect(toast).to_contain_text("催办通知")
    expect(toast).to_contain_text(title)
    assert page.evaluate("window.__notReloaded") is True
    handler.person.screenshot("live-toast-desktop")

    # the toast opens the document, and the notification is read
    toast.click()
    expect(page).to_have_url(f"{handler.person.base_url}/documents/{doc['id']}?task={task['id']}")
    expect(page.locator("[data-test=document-title]")).to_have_text(title)
    expect(badge(page)).to_have_text(str(before))
    assert urge_notification(office, doc, "请今日内办理")["read_at"] is not None

    # at phone width the toast fits the screen; the desktop window counts it too
    phone = signed_in(people, office, PHONE)
    phone.stream_open()
    urge(office, task, "请再次确认办理进度")
    phone_toast = phone.page.locator(".el-notification", has_text="催办")
    expect(phone_toast).to_be_visible(timeout=3_000)
    expect(badge(phone.page)).to_have_text(str(before + 1))
    expect(badge(page)).to_have_text(str(before + 1), timeout=3_000)
    phone.person.screenshot("live-toast-phone")  # once it has slid in
    box = phone_toast.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_a_dropped_stream_resumes_with_nothing_lost_or_repeated(people: People, office: Office):
    doc, task = held_task(office, "关于做好年底政务数据报送工作的通知")
    settled_unread(office)
    handler = signed_in(people, office)
    page = handler.page
    page.locator("[data-test=bell]").get_by_role("button", name="通知").click()
    expect(page).to_have_url(f"{handler.person.base_url}/notifications")
    expect(page.locator("[data-test=notification]").first).to_be_visible()
    handler.stream_open()
    page.evaluate("window.__notReloaded = true")
    rows = page.locator("[data-test=notification]")

    # a first urge arrives live, on top of the list
    urge(office, task, "第一次催办")
    first = urge_notification(office, doc, "第一次催办")
    expect(rows.first).to_have_attribute("data-id", first["id"], timeout=3_000)

    # the stream drops; an urge is written meanwhile; the stream comes back
    opened = len(handler.streams)
    handler.person.context.set_offline(True)
    handler.wait(lambda: len(handler.streams) > opened, "a reconnection attempt while offline")
    urge(office, task, "第二次催办")
    second = urge_notification(office, doc, "第二次催办")
    page.wait_for_timeout(1_000)
    expect(page.locator(f"[data-test=notification][data-id='{second['id']}']")).to_have_count(0)
    handler.person.context.set_offline(False)

    expect(rows.first).to_have_attribute("data-id", second["id"], timeout=5_000)
    page.wait_for_timeout(2_000)  # anything sent twice would show by now
    ids = page.eval_on_selector_all(
        "[data-test=notification]", "rows => rows.map(r => r.dataset.id)"
    )
    assert len(ids) == len(set(ids)), ids
    assert ids[:2] == [second["id"], first["id"]]
    assert page.evaluate("window.__notReloaded") is True
    expect(rows.first).to_contain_text("第二次催办")
    expect(page.locator(".el-notification")).to_have_count(0)  # the list shows them: no toast
    # it was a resumed stream that brought it: asked after the first urge's position
    resumed = handler.stream_open()
    assert handler.streams.index(resumed.request) >= opened
    assert resumed.request.headers.get("last-event-id") == str(first["seq"])
    handler.person.screenshot("live-resumed-desktop")


def test_channel_preferences_per_kind(people: People, office: Office):
    handler = signed_in(people, office)
    page = handler.page
    page.goto("/notifications")
    page.locator("[data-test=notification-preferences]").click()
    expect(page).to_have_url(f"{handler.person.base_url}/notifications/preferences")
    table = page.locator("[data-test=preferences-table]")
    for label in ("待办通知", "催办通知", "退回通知", "到期提醒", "超期提醒"):
        expect(table).to_contain_text(label)
    expect(page.locator("[data-test=preferences-note]")).to_contain_text("22:00–07:00 不发短信")

    in_app = page.locator("[data-test=pref-reminder-in_app] input")
    expect(in_app).to_be_checked()
    expect(in_app).to_be_disabled()
    page.locator("[data-test=pref-reminder-in_app]").hover()
    expect(page.locator(".el-popper", has_text="站内通知不可关闭")).to_be_visible()

    sms = page.locator("[data-test=pref-reminder-sms]")
    expect(sms.locator("input")).to_be_checked()
    sms.click()
    expect(sms.locator("input")).not_to_be_checked()
    page.locator("[data-test=preferences-save]").click()
    expect(page.locator(".el-message__content", has_text="已保存")).to_be_visible()
    kinds = ok(office["ban"].get("/notifications/preferences"))["kinds"]
    assert sorted(kinds["reminder"]) == ["email", "in_app"]
    assert sorted(kinds["overdue"]) == ["email", "in_app", "sms"]
    handler.person.screenshot("notification-preferences-desktop")

    page.reload()
    expect(page.locator("[data-test=pref-reminder-sms] input")).not_to_be_checked()
    expect(page.locator("[data-test=pref-reminder-email] input")).to_be_checked()
    expect(page.locator("[data-test=pref-overdue-sms] input")).to_be_checked()
    expect(page.locator("[data-test=pref-todo-in_app] input")).to_be_disabled()

    phone = signed_in(people, office, PHONE)
    phone.page.goto("/notifications/preferences")
    cards = phone.page.locator("[data-test=preferences-cards]")
    expect(cards.locator("[data-test=pref-row-reminder]")).to_contain_text("到期提醒")
    expect(phone.page.locator("[data-test=pref-reminder-sms] input")).not_to_be_checked()
    expect(phone.page.locator("[data-test=pref-reminder-in_app] input")).to_be_disabled()
    phone.person.screenshot("notification-preferences-phone")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
