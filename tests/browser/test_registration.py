"""收文登记 in the browser: the registrar fills in the form (secrecy only 非密/内部),
drops several scans (each checked and uploaded with its own progress and result), sees
the PDF rendered by pdf.js on the document page, and distributes it (分办) to a
division, whose handler then finds it in the to-do list."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.browser import DESKTOP, PHONE, pick
from tests.support.gateway import Gateway, Office, User, real_pdf, setup_office, todo
from tests.support.stacks import unique

People = Any
TITLE = "关于印发全省电子政务外网安全管理办法的通知"


@pytest.fixture(scope="module")
def registry(gw: Gateway, platform_admin: User) -> Iterator[Office]:
    built = setup_office(gw, platform_admin, unique("dj"), "登记测试厅")
    for unit in ("文书处", "电子政务处", "综合处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("dz_ban1", "李承办", "电子政务处", ["handler"])
    yield built


def drop_files(page: Page, selector: str, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on an element as a person dragging them from the desktop would."""
    payload = [
        {"name": name, "type": mime, "data": base64.b64encode(data).decode()}
        for name, mime, data in files
    ]
    handle = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], f.name, { type: f.type }));
            }
            return dt;
        }""",
        payload,
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": handle})


def test_register_upload_scans_preview_and_distribute(people: People, registry: Office):
    person = people(DESKTOP)
    page = person.sign_in(registry.code, "wenshu")
    expect(page.get_by_text("您好，张文书")).to_be_visible()
    page.locator("[data-test=menu-register]").click()

    # secrecy: only 非密 and 内部 are offered
    secrecy = page.locator(".el-form-item", has_text="密级")
    expect(secrecy.locator(".el-radio-button")).to_have_text(["非密", "内部"])
    page.get_by_role("button", name="登记").click()  # nothing filled in
    expect(page.get_by_text("请填写标题")).to_be_visible()

    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("来文单位").fill("省委网信办")
    page.get_by_label("文号").fill("黔网信发〔2026〕7号")
    page.locator(".el-radio-button", has_text="加急").click()
    page.locator(".el-radio-button", has_text="内部").click()
    person.screenshot("register-desktop")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text(f"已登记：{TITLE}")).to_be_visible()

    pdf = real_pdf("Gongwen browser scan")
    drop_files(
        page,
        "[data-test=drop-zone]",
        [
            ("正文扫描件.pdf", "application/pdf", pdf),
            ("附件说明.docx", "application/octet-stream", b"PK\x03\x04 not a scan"),
            ("空白页.png", "image/png", b""),
        ],
    )
    page.locator("[data-test=file-input]").set_input_files(
        [{"name": "附件一.pdf", "mimeType": "application/pdf", "buffer": real_pdf("appendix")}]
    )
    items = page.locator("[data-test=upload-item]")
    expect(items).to_have_count(4)
    expect(items.nth(1)).to_contain_text("文件类型不支持")
    expect(items.nth(2)).to_contain_text("文件为空")
    page.locator("[data-test=upload]").click()
    expect(items.nth(0)).to_contain_text("已上传")
    expect(items.nth(3)).to_contain_text("已上传")
    expect(items.nth(0).get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    person.screenshot("register-uploaded-desktop")

    page.locator("[data-test=to-document]").click()
    expect(page.locator("[data-test=document-title]")).to_have_text(TITLE)
    expect(page.get_by_text("正文扫描件.pdf")).to_be_visible()
    page.locator("[data-test=preview]").first.click()
    expect(page.locator("[data-test=pdf-page]").first).to_be_visible()
    page.locator("[data-test=pdf-page]").first.scroll_into_view_if_needed()
    person.screenshot("document-scan-desktop")
    with page.expect_download() as download:
        page.locator(".file-row", has_text="正文扫描件.pdf").get_by_role(
            "button", name="下载"
        ).click()
    assert download.value.suggested_filename == "正文扫描件.pdf"
    assert Path(download.value.path()).read_bytes() == pdf  # through the gateway, intact

    page.locator("[data-test=lead-unit]").click()
    pick(page, "电子政务处")
    page.locator("[data-test=action-distribute]").click()
    expect(page.get_by_text("已分办")).to_be_visible()

    handler_tasks = [t for t in todo(registry["dz_ban1"]) if t["title"] == TITLE]
    assert len(handler_tasks) == 1 and handler_tasks[0]["urgency"] == "urgent"


def test_registration_at_phone_width(people: People, registry: Office):
    person = people(PHONE)
    page = person.sign_in(registry.code, "wenshu")
    expect(page.get_by_text("您好，张文书")).to_be_visible()
    page.goto("/register")
    expect(page.get_by_label("标题")).to_be_visible()
    person.screenshot("register-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_failed_registration_keeps_the_form_and_says_why(people: People, registry: Office):
    person = people(DESKTOP)
    page = person.sign_in(registry.code, "wenshu")
    expect(page.get_by_text("您好，张文书")).to_be_visible()
    page.goto("/register")
    page.get_by_label("标题").fill("关于涉密文件的测试登记")
    page.get_by_label("来文单位").fill("某单位")

    def unavailable(route: Route) -> None:
        route.fulfill(
            status=503,
            headers={"X-Request-ID": "req-register-503", "Content-Type": "application/json"},
            body=json.dumps({"error": {"code": "broker_unavailable", "message": "broker away"}}),
        )

    page.route("**/api/v1/documents", unavailable)
    page.get_by_role("button", name="登记").click()
    expect(page.locator("[data-test=register-error]")).to_have_text(
        "服务暂时不可用，请稍后重试（请求编号 req-register-503）"
    )
    expect(page.get_by_label("标题")).to_have_value("关于涉密文件的测试登记")
    page.unroute("**/api/v1/documents")

    # a 秘密 document is not offered; forced into the request, the server refuses it
    def force_secret(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "secrecy": "秘密"}))

    page.route("**/api/v1/documents", force_secret)
    page.get_by_role("button", name="登记").click()
    expect(page.locator("[data-test=register-error]")).not_to_be_empty()
    refusal = page.locator("[data-test=register-error]").inner_text()
    assert "秘密" in refusal or "secre" in refusal.lower(), refusal
    expect(page.get_by_label("来文单位")).to_have_value("某单位")
    person.screenshot("register-refused-desktop")
    page.unroute("**/api/v1/documents")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("已登记：关于涉密文件的测试登记")).to_be_visible()
