"""Documents sent through the platform, end to end through the gateway: a city's
registry sends a registered document with two scans to the province's registry (gz,
another tenant) and to another registry of its own; the province's registrar finds
it in the inbox (收文箱), signs for it (签收) without re-typing, downloads the same
scans, gets the 分办 task from routing and distributes it like a paper document.
Neither tenant sees the other's copy; signing twice, wrong roles and unknown
recipients are refused and leave nothing behind."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg2
import pytest

from services.common.settings import Settings
from tests.support import samples
from tests.support.gateway import (
    Gateway,
    Office,
    Org,
    Person,
    Tenants,
    User,
    create_user,
    expect_error,
    fresh_address,
    ok,
    onboard,
    open_task,
    real_pdf,
    register,
    upload,
)
from tests.support.stacks import unique


@dataclass
class Province:
    """The province (gz) as the recipient: its registry 收文科 and who works there."""

    registry_id: str
    registrar: Person  # wenshu1
    colleague: Person  # a second registrar of the registry
    handler: Person  # chengban1, not of the registry
    head: Person  # chuzhang1, head of 电子政务处
    lead_unit_id: str  # 电子政务处


def person(gw: Gateway, org: Org, username: str) -> Person:
    user = org.users[username]
    return Person(
        id=str(user["id"]),
        username=username,
        full_name=str(user["full_name"]),
        unit_id=str(user["org_unit_id"]),
        roles=list(user["roles"]),
        user=gw.login("gz", username, address=fresh_address()),
    )


@pytest.fixture(scope="module")
def province(gw: Gateway, org: Org) -> Province:
    registry_id = org.unit_id("收文科")
    name = unique("sf")
    made = create_user(org.admin, name, "何收发", registry_id, ["registrar"])
    org.users[name] = made
    return Province(
        registry_id=registry_id,
        registrar=person(gw, org, "wenshu1"),
        colleague=person(gw, org, name),
        handler=person(gw, org, "chengban1"),
        head=person(gw, org, "chuzhang1"),
        lead_unit_id=org.unit_id("电子政务处"),
    )


@pytest.fixture(scope="module")
def city(gw: Gateway, platform_admin: User, tenants: Tenants) -> Office:
    """A city under the province (like gz-gy) with two registries and a handler."""
    code = unique("gy")
    tenant = ok(onboard(platform_admin, code, "贵阳市人民政府", "gz"), 201)
    admin = gw.login(code, f"{code}-admin", address=fresh_address())
    root = next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)
    built = Office(gw=gw, code=code, tenant=tenant, admin=admin, root_id=str(root["id"]))
    for unit in ("文书处", "督查室", "综合处"):
        built.add_unit(unit)
    built.add_person("wenshu", "贵阳文书", "文书处", ["registrar"])
    built.add_person("ducha", "督查文书", "督查室", ["registrar"])
    built.add_person("ban", "贵阳承办", "综合处", ["handler"])
    return built


@pytest.fixture(scope="module")
def documents_db(settings: Settings) -> Iterator[Any]:
    """documents' database, read as the administrator (to wait for its address book)."""
    conn = psycopg2.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_admin_user,
        password=settings.pg_admin_password or None,
        dbname=settings.database_name("documents"),
    )
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def addressable(documents_db: Any, province: Province, city: Office) -> None:
    """documents has heard from identity of the units the tests send to."""
    units = [province.registry_id, city.units["督查室"], city.units["文书处"]]
    deadline = time.monotonic() + 20
    while True:
        with documents_db.cursor() as cur:
            cur.execute("SELECT count(*) FROM directory_units WHERE id = ANY(%s::uuid[])", (units,))
            if cur.fetchone()[0] == len(units):
                return
        assert time.monotonic() < deadline, "documents never heard of the units"
        time.sleep(0.2)


def to_province(province: Province) -> dict[str, str]:
    return {"tenant_code": "gz", "unit_id": province.registry_id}


def inbox(registrar: Person, **params: Any) -> list[dict[str, Any]]:
    return list(ok(registrar.get("/inbox", params={"limit": 200, **params}))["items"])


def sent_document(city: Office, title: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict]:
    clerk = city["wenshu"]
    doc = register(clerk, title, doc_number="筑府办函〔2026〕88号", urgency="加急", page_count=5)
    pdf, png = real_pdf("Zhufu 2026 No. 88"), samples.png()
    files = ok(upload(clerk, doc["id"], ("正文.pdf", pdf), ("附件1.png", png)), 201)
    return doc, files, {"正文.pdf": pdf, "附件1.png": png}


def send(sender: Person, document_id: str, *recipients: dict[str, Any]) -> httpx.Response:
    return sender.post(
        f"/documents/{document_id}/send", json={"recipients": list(recipients), "note": "请查收"}
    )


def test_a_sent_document_is_signed_for_and_distributed_like_a_paper_one(
    province: Province, city: Office, addressable: None
):
    clerk, other_registry = city["wenshu"], city["ducha"]
    doc, files, data = sent_document(city, "贵阳市关于报送2026年政务服务工作情况的报告")
    out = ok(send(clerk, doc["id"], to_province(province), {"unit_id": city.units["督查室"]}), 201)
    to_gz, to_own = out["deliveries"]
    assert (to_gz["tenant_code"], to_gz["unit_name"]) == ("gz", "收文科")
    assert (to_own["tenant_code"], to_own["unit_name"]) == (city.code, "督查室")

    # the province's registry: 待签收
    [item] = [
        i for i in inbox(province.registrar, status="pending") if i["id"] == to_gz["inbox_item_id"]
    ]
    assert (item["title"], item["doc_number"], item["urgency"]) == (
        doc["title"],
        "筑府办函〔2026〕88号",
        "urgent",
    )
    assert item["source_org"] == "贵阳市人民政府" and item["sent_by_name"] == "贵阳文书"
    assert [f["sha256"] for f in item["files"]] == [f["sha256"] for f in files]
    assert ok(province.colleague.get(f"/inbox/{item['id']}"))["id"] == item["id"]  # the registry's
    # the city's other registry has its own item, and nothing of the province's
    [own] = inbox(other_registry)
    assert own["id"] == to_own["inbox_item_id"]
    expect_error(other_registry.get(f"/inbox/{item['id']}"), 404, "inbox_item_not_found")

    # 签收: 201 with the new document, typed by nobody
    signed = ok(province.registrar.post(f"/inbox/{item['id']}/sign"), 201)
    for key in ("title", "doc_number", "urgency", "secrecy", "page_count"):
        assert signed[key] == doc[key], key
    assert signed["status"] == "registered" and signed["registry_unit_id"] == province.registry_id
    assert signed["registered_by"] == province.registrar.id and signed["id"] != doc["id"]
    assert [(f["filename"], f["sha256"], f["size"]) for f in signed["files"]] == [
        (f["filename"], f["sha256"], f["size"]) for f in files
    ]
    for f in signed["files"]:
        response = province.registrar.get(f"/files/{f['id']}/content")
        assert response.status_code == 200, response.text
        assert response.content == data[f["filename"]]
        assert hashlib.sha256(response.content).hexdigest() == f["sha256"]
    expect_error(province.colleague.post(f"/inbox/{item['id']}/sign"), 409, "already_signed")
    assert ok(province.registrar.get(f"/inbox/{item['id']}"))["document_id"] == signed["id"]

    # neither tenant sees the other's copy
    expect_error(clerk.get(f"/documents/{signed['id']}"), 404, "document_not_found")
    expect_error(clerk.get(f"/files/{signed['files'][0]['id']}/content"), 404, "file_not_found")
    expect_error(clerk.get(f"/inbox/{item['id']}"), 404, "inbox_item_not_found")
    expect_error(province.registrar.get(f"/documents/{doc['id']}"), 404, "document_not_found")
    expect_error(province.registrar.get(f"/files/{files[0]['id']}/content"), 404, "file_not_found")

    # routing gives the registry its 分办 task, and it is distributed like a paper document
    task = open_task(province.registrar, signed["id"], "registry_distribute")
    assert task["allowed_actions"] == ["distribute"]
    distribution = ok(
        province.registrar.post(
            f"/documents/{signed['id']}/distribute", json={"lead_unit_id": province.lead_unit_id}
        )
    )
    assert [t["unit_id"] for t in distribution["tasks"]] == [province.lead_unit_id]
    assert (
        open_task(province.head, signed["id"], "division_sign")["unit_id"] == province.lead_unit_id
    )
    slip = ok(province.registrar.get(f"/documents/{signed['id']}/slip"))
    assert slip["trace"][0]["action"] == "document.sign_for"

    # the city's other registry signs for its own copy too
    mine = ok(other_registry.post(f"/inbox/{own['id']}/sign"), 201)
    assert mine["registry_unit_id"] == city.units["督查室"] and len(mine["files"]) == 2
    sender_trace = [t["action"] for t in ok(clerk.get(f"/documents/{doc['id']}/slip"))["trace"]]
    assert "document.send" in sender_trace


def test_two_registrars_signing_at_once_one_wins(
    province: Province, city: Office, addressable: None
):
    doc, _, _ = sent_document(city, "贵阳市关于两人同时签收的测试")
    out = ok(send(city["wenshu"], doc["id"], to_province(province)), 201)
    item_id = out["deliveries"][0]["inbox_item_id"]
    barrier = threading.Barrier(2)
    responses: list[httpx.Response] = []

    def sign(person: Person) -> None:
        barrier.wait()
        responses.append(person.post(f"/inbox/{item_id}/sign"))

    threads = [
        threading.Thread(target=sign, args=(p,)) for p in (province.registrar, province.colleague)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    [lost] = [r for r in responses if r.status_code == 409]
    expect_error(lost, 409, "already_signed")
    found = ok(province.registrar.get("/documents", params={"q": "两人同时签收"}))
    assert found["total"] == 1


def test_wrong_callers_and_unknown_recipients_are_refused_and_nothing_is_written(
    province: Province, city: Office, addressable: None
):
    clerk = city["wenshu"]
    doc = register(clerk, "贵阳市关于错误收件人的测试来文")
    good = to_province(province)
    unknown_unit = {"tenant_code": "gz", "unit_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}
    for bad, code in (
        (
            {"tenant_code": "no-such-tenant", "unit_id": province.registry_id},
            "recipient_tenant_not_found",
        ),
        (unknown_unit, "recipient_unit_not_found"),
        ({"tenant_code": city.code, "unit_id": province.registry_id}, "recipient_unit_not_found"),
    ):
        expect_error(send(clerk, doc["id"], good, bad), 404, code)
    expect_error(
        send(clerk, doc["id"], {"unit_id": city.units["文书处"]}), 422, "recipient_is_sender"
    )
    expect_error(send(city["ban"], doc["id"], good), 403, "role_required")  # not a registrar
    expect_error(send(province.registrar, doc["id"], good), 404, "document_not_found")
    response = clerk.post(f"/documents/{doc['id']}/send", json={"recipients": []})
    assert response.status_code == 422
    # nothing arrived anywhere
    assert [i for i in inbox(province.registrar) if i["title"] == doc["title"]] == []
    trace = [t["action"] for t in ok(clerk.get(f"/documents/{doc['id']}/slip"))["trace"]]
    assert "document.send" not in trace

    # the inbox is the registry's
    out = ok(send(clerk, doc["id"], good), 201)
    item_id = out["deliveries"][0]["inbox_item_id"]
    expect_error(send(clerk, doc["id"], good), 409, "already_sent")
    expect_error(province.handler.get("/inbox"), 403, "role_required")
    expect_error(province.handler.post(f"/inbox/{item_id}/sign"), 403, "role_required")
    expect_error(city["ducha"].post(f"/inbox/{item_id}/sign"), 404, "inbox_item_not_found")
    assert ok(province.registrar.get(f"/inbox/{item_id}"))["status"] == "pending"

    # 拒收 with a reason; the sender's trace shows it
    refused = ok(
        province.registrar.post(f"/inbox/{item_id}/refuse", json={"reason": "请改送省发展改革委"})
    )
    assert refused["status"] == "refused"
    expect_error(province.registrar.post(f"/inbox/{item_id}/sign"), 409, "already_refused")
    trace = ok(clerk.get(f"/documents/{doc['id']}/slip"))["trace"]
    assert trace[-1]["action"] == "document.send_refused"
    assert trace[-1]["detail"]["reason"] == "请改送省发展改革委"
