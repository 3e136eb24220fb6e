"""Delivery through the platform over RabbitMQ, the object store and the database: 贵阳市's
registry (gz-gy) sends a registered document with two scans to the province's registry
(gz, another tenant) and to another registry of its own; each registry finds it in its
inbox (收文箱) and signs for it (签收) without re-typing; the copies are the recipient's
own documents. Refusals leave nothing half-written."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from typing import Any

import pytest

from services.common.errors import Conflict, Forbidden, GongwenError, InvalidInput, NotFound
from services.common.vocabulary import SHANGHAI
from services.documents import storage
from tests.support import samples
from tests.support.documents import Office, Person, a_document, attach, count_rows, onboard, upload
from tests.support.identity import expect_error
from tests.support.waiting import eventually


def shanghai_today() -> str:
    return dt.datetime.now(SHANGHAI).date().isoformat()


def add_registry(office: Office, name: str) -> tuple[str, Person]:
    """Another registry unit of the tenant, with a registrar of its own."""
    unit = office.registrar.rpc.call(
        "identity",
        "create_org_unit",
        context=office.admin_ctx,
        unit={"name": name, "kind": "division", "parent_id": office.admin_ctx["org_unit_id"]},
    )
    return str(unit["id"]), office.hire(f"{name}文书", ["registrar"], str(unit["id"]))


def addressable(conn: Any, tenant_id: str, *unit_ids: str) -> None:
    """Wait until documents' address book has heard of the tenant and units from identity."""

    def known() -> bool:
        tenants = count_rows(
            conn, "SELECT count(*) FROM directory_tenants WHERE id = %s", tenant_id
        )
        units = count_rows(
            conn, "SELECT count(*) FROM directory_units WHERE id = ANY(%s::uuid[])", list(unit_ids)
        )
        return tenants == 1 and units == len(unit_ids)

    eventually(known)


def inbox_rows(conn: Any, source_document_id: str) -> int:
    return count_rows(
        conn, "SELECT count(*) FROM inbox_items WHERE source_document_id = %s", source_document_id
    )


def events(conn: Any, event_type: str, key: str, value: str) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT envelope FROM outbox WHERE event_type = %s AND envelope->'data'->>%s = %s",
            (event_type, key, value),
        )
        return [row[0] for row in cur.fetchall()]


def trail(conn: Any, target_id: str) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT action, tenant_id::text FROM audit_log WHERE target_id = %s ORDER BY id",
            (target_id,),
        )
        return [(a, t) for a, t in cur.fetchall()]


def registered_with_scans(office: Office, s3, bucket, title: str, **fields: Any):
    clerk = office.registrar
    doc = clerk.call("register_document", document=a_document(title=title, **fields))
    pdf, png = samples.pdf() + os.urandom(150_000), samples.png()
    files = [
        attach(clerk, doc["id"], upload(s3, bucket, clerk, pdf), filename="正文.pdf"),
        attach(clerk, doc["id"], upload(s3, bucket, clerk, png), filename="附件1.png"),
    ]
    return doc, files, {"正文.pdf": pdf, "附件1.png": png}


@pytest.fixture(scope="module")
def guiyang(rpc, platform_admin, office) -> Office:
    """贵阳市 (gz-gy): the sending city, its registry 文书处 and a second registry."""
    return onboard(rpc, platform_admin, "gz-gy", "贵阳市")


@pytest.fixture(scope="module")
def gy_second(guiyang) -> tuple[str, Person]:
    return add_registry(guiyang, "市政府办公室秘书科")


@pytest.fixture(scope="module")
def ready(guiyang, gy_second, office, other_office, pg_superuser) -> None:
    addressable(pg_superuser, office.tenant_id, office.registry_id)
    addressable(pg_superuser, other_office.tenant_id, other_office.registry_id)
    addressable(pg_superuser, guiyang.tenant_id, guiyang.registry_id, gy_second[0])


def send(person: Person, document_id: str, *recipients: dict[str, Any], note: str | None = None):
    return person.call(
        "send_document",
        document_id=document_id,
        sending={"recipients": list(recipients), "note": note},
    )


def test_a_document_is_sent_to_two_registries_and_signed_for_without_retyping(
    guiyang, gy_second, office, ready, s3, bucket, pg_superuser
):
    second_unit, second_clerk = gy_second
    doc, files, data = registered_with_scans(
        guiyang, s3, bucket, "贵阳市关于报送政务数据共享目录的报告", urgency="特急", page_count=9
    )
    before = shanghai_today()
    out = send(
        guiyang.registrar,
        doc["id"],
        {"tenant_code": "gz", "unit_id": office.registry_id},
        {"unit_id": second_unit},
        note="请审阅",
    )
    assert out["document_id"] == doc["id"] and out["sent_by"] == guiyang.registrar.id
    to_gz, to_second = out["deliveries"]
    assert (to_gz["tenant_code"], to_gz["unit_id"], to_gz["unit_name"]) == (
        "gz",
        office.registry_id,
        "文书处",
    )
    assert (to_second["tenant_id"], to_second["unit_id"]) == (guiyang.tenant_id, second_unit)

    # the province's registry finds it in its inbox, with the metadata and the scans
    page = office.registrar.call("list_inbox", query={"status": "pending"})
    [item] = [i for i in page["items"] if i["id"] == to_gz["inbox_item_id"]]
    assert (item["title"], item["doc_number"], item["urgency"], item["page_count"]) == (
        doc["title"],
        doc["doc_number"],
        "extra_urgent",
        9,
    )
    assert item["source_org"] == "贵阳市" and item["sender_tenant_code"] == "gz-gy"
    assert item["sender_unit_name"] == "文书处" and item["sent_by_name"] == "文书员小王"
    assert item["received_date"] in {before, shanghai_today()} and item["note"] == "请审阅"
    assert item["status"] == "pending" and item["document_id"] is None
    assert [(f["filename"], f["sha256"], f["size"]) for f in item["files"]] == [
        (f["filename"], f["sha256"], f["size"]) for f in files
    ]
    assert "object_key" not in item["files"][0]
    # the other registry of the city has its own copy; neither sees the other's
    [mine] = second_clerk.call("list_inbox")["items"]
    assert mine["id"] == to_second["inbox_item_id"] and mine["recipient_unit_id"] == second_unit
    expect_error(
        NotFound, "inbox_item_not_found", second_clerk.call, "get_inbox_item", item_id=item["id"]
    )
    expect_error(
        NotFound,
        "inbox_item_not_found",
        guiyang.registrar.call,
        "get_inbox_item",
        item_id=mine["id"],
    )  # same tenant, another registry

    # 签收: a registered document of the province, typed by nobody
    signed = office.registrar.call("sign_inbox_item", item_id=item["id"])
    assert signed["tenant_id"] == office.tenant_id and signed["id"] != doc["id"]
    assert signed["status"] == "registered" and signed["registry_unit_id"] == office.registry_id
    assert signed["registered_by"] == office.registrar.id
    for key in ("title", "doc_number", "urgency", "secrecy", "page_count"):
        assert signed[key] == doc[key], key
    assert (signed["source_org"], signed["note"]) == ("贵阳市", "请审阅")
    assert signed["received_date"] == item["received_date"]
    assert [
        (f["filename"], f["sha256"], f["size"], f["content_type"]) for f in signed["files"]
    ] == [(f["filename"], f["sha256"], f["size"], f["content_type"]) for f in files]
    for f in signed["files"]:
        got = office.registrar.call("file_download", file_id=f["id"])
        assert got["object_key"] == f"documents/{office.tenant_id}/{signed['id']}/{f['id']}"
        stored = b"".join(storage.read_object(s3, got["bucket"], got["object_key"]))
        assert stored == data[f["filename"]]
        assert hashlib.sha256(stored).hexdigest() == f["sha256"]
    # the sender's scans are untouched
    original = guiyang.registrar.call("file_download", file_id=files[0]["id"])
    assert b"".join(storage.read_object(s3, bucket, original["object_key"])) == data["正文.pdf"]

    # the item is signed, once
    again = office.registrar.call("get_inbox_item", item_id=item["id"])
    assert (again["status"], again["document_id"], again["signed_by"]) == (
        "signed",
        signed["id"],
        office.registrar.id,
    )
    expect_error(
        Conflict, "already_signed", office.registrar.call, "sign_inbox_item", item_id=item["id"]
    )
    signed_page = office.registrar.call("list_inbox", query={"status": "signed"})
    assert item["id"] in [i["id"] for i in signed_page["items"]]

    # each tenant sees its own document only
    expect_error(
        NotFound,
        "document_not_found",
        guiyang.registrar.call,
        "get_document",
        document_id=signed["id"],
    )
    expect_error(
        NotFound, "document_not_found", office.registrar.call, "get_document", document_id=doc["id"]
    )
    expect_error(
        NotFound,
        "file_not_found",
        guiyang.registrar.call,
        "file_download",
        file_id=signed["files"][0]["id"],
    )
    expect_error(
        NotFound,
        "inbox_item_not_found",
        guiyang.registrar.call,
        "get_inbox_item",
        item_id=item["id"],
    )

    # the city's second registry signs for its copy: a document of the same tenant
    own = second_clerk.call("sign_inbox_item", item_id=mine["id"])
    assert own["tenant_id"] == guiyang.tenant_id and own["registry_unit_id"] == second_unit
    assert own["source_org"] == "贵阳市" and len(own["files"]) == 2

    # announced through the outbox, each in its tenant; both trails have their rows
    [registered] = events(pg_superuser, "document.registered", "document_id", signed["id"])
    assert registered["tenant_id"] == office.tenant_id
    assert registered["data"]["registry_unit_id"] == office.registry_id
    [arrived] = events(pg_superuser, "inbox.item_arrived", "inbox_item_id", item["id"])
    assert arrived["tenant_id"] == office.tenant_id
    [sent] = events(pg_superuser, "document.sent", "document_id", doc["id"])
    assert sent["tenant_id"] == guiyang.tenant_id and len(sent["data"]["deliveries"]) == 2
    assert trail(pg_superuser, item["id"]) == [
        ("inbox.item_arrived", office.tenant_id),
        ("inbox.item_signed", office.tenant_id),
    ]
    assert trail(pg_superuser, signed["id"]) == [("document.sign_for", office.tenant_id)]
    assert ("document.send", guiyang.tenant_id) in trail(pg_superuser, doc["id"])
    slip = office.registrar.call("get_slip", document_id=signed["id"])
    [entry] = slip["trace"]
    assert entry["action"] == "document.sign_for"
    assert entry["detail"]["sender"]["tenant_code"] == "gz-gy"
    for tenant in (office, guiyang):
        assert tenant.auditor.call("verify_audit_chain")["ok"] is True


def test_two_registrars_signing_at_once_one_wins(guiyang, office, ready, s3, bucket, pg_superuser):
    doc, _, _ = registered_with_scans(guiyang, s3, bucket, "贵阳市关于同时签收的测试来文")
    out = send(guiyang.registrar, doc["id"], {"tenant_code": "gz", "unit_id": office.registry_id})
    item_id = out["deliveries"][0]["inbox_item_id"]
    colleague = office.hire("文书员小李", ["registrar"], office.registry_id)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def sign(person: Person) -> None:
        barrier.wait()
        try:
            results.append(person.call("sign_inbox_item", item_id=item_id))
        except GongwenError as exc:
            results.append(exc)

    threads = [threading.Thread(target=sign, args=(p,)) for p in (office.registrar, colleague)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if not isinstance(r, dict)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict) and lost[0].code == "already_signed"
    made = count_rows(
        pg_superuser,
        "SELECT count(*) FROM documents WHERE tenant_id = %s AND title = %s",
        office.tenant_id,
        doc["title"],
    )
    assert made == 1
    # the loser's copies were removed: every object of the tenant belongs to a document
    prefix = f"documents/{office.tenant_id}/"
    folders = {
        o.object_name.split("/")[2] for o in s3.list_objects(bucket, prefix=prefix, recursive=True)
    }
    with pg_superuser.cursor() as cur:
        cur.execute("SELECT id::text FROM documents WHERE id::text = ANY(%s)", (list(folders),))
        assert {r[0] for r in cur.fetchall()} == folders
    assert won[0]["id"] in folders


def test_bad_recipients_and_wrong_callers_write_nothing(
    guiyang, office, other_office, ready, pg_superuser
):
    clerk = guiyang.registrar
    doc = clerk.call("register_document", document=a_document(title="贵阳市关于错投的来文"))
    gz = {"tenant_code": "gz", "unit_id": office.registry_id}
    cases = [
        (
            {"tenant_code": "no-such-city", "unit_id": office.registry_id},
            NotFound,
            "recipient_tenant_not_found",
        ),
        (
            {"tenant_code": "gz", "unit_id": other_office.registry_id},
            NotFound,
            "recipient_unit_not_found",
        ),  # a unit of another tenant than the one named
        (
            {"tenant_code": "gz", "unit_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
            NotFound,
            "recipient_unit_not_found",
        ),
        (
            {"tenant_id": office.tenant_id, "tenant_code": "gz-zy", "unit_id": office.registry_id},
            NotFound,
            "recipient_tenant_not_found",
        ),  # an id and a code of different tenants
        ({"unit_id": guiyang.registry_id}, InvalidInput, "recipient_is_sender"),
    ]
    for bad, cls, code in cases:
        # a good recipient first: all or nothing
        expect_error(cls, code, send, clerk, doc["id"], gz, bad)
    assert inbox_rows(pg_superuser, doc["id"]) == 0
    expect_error(
        InvalidInput,
        "invalid_input",
        clerk.call,
        "send_document",
        document_id=doc["id"],
        sending={"recipients": []},
    )
    # not a registrar; a document of another tenant
    expect_error(Forbidden, "role_required", send, guiyang.handler_a, doc["id"], gz)
    expect_error(NotFound, "document_not_found", send, office.registrar, doc["id"], gz)
    assert inbox_rows(pg_superuser, doc["id"]) == 0
    assert "document.send" not in [a for a, _ in trail(pg_superuser, doc["id"])]

    # sent once; a second time to the same unit is refused
    out = send(clerk, doc["id"], gz)
    item_id = out["deliveries"][0]["inbox_item_id"]
    expect_error(Conflict, "already_sent", send, clerk, doc["id"], gz)
    assert inbox_rows(pg_superuser, doc["id"]) == 1
    # the inbox is the registry's: other roles are refused, other tenants find nothing
    for person in (office.handler_a, office.leader, office.auditor):
        expect_error(Forbidden, "role_required", person.call, "list_inbox")
        expect_error(Forbidden, "role_required", person.call, "sign_inbox_item", item_id=item_id)
    expect_error(
        NotFound,
        "inbox_item_not_found",
        other_office.registrar.call,
        "sign_inbox_item",
        item_id=item_id,
    )
    assert office.registrar.call("get_inbox_item", item_id=item_id)["status"] == "pending"
    assert events(pg_superuser, "inbox.item_signed", "inbox_item_id", item_id) == []


def test_a_registry_refuses_an_item_and_it_may_be_sent_again(guiyang, office, ready, pg_superuser):
    clerk = guiyang.registrar
    doc = clerk.call("register_document", document=a_document(title="贵阳市关于错送的请示"))
    gz = {"tenant_code": "gz", "unit_id": office.registry_id}
    item_id = send(clerk, doc["id"], gz)["deliveries"][0]["inbox_item_id"]
    refused = office.registrar.call(
        "refuse_inbox_item", item_id=item_id, refusal={"reason": "非我厅主管事项,请改送"}
    )
    assert refused["status"] == "refused" and refused["refusal_reason"] == "非我厅主管事项,请改送"
    expect_error(
        Conflict, "already_refused", office.registrar.call, "sign_inbox_item", item_id=item_id
    )
    # the sender's trace shows the refusal (on the sender's chain)
    trace = clerk.call("get_slip", document_id=doc["id"])["trace"]
    assert [t["action"] for t in trace][-2:] == ["document.send", "document.send_refused"]
    assert trace[-1]["detail"]["reason"] == "非我厅主管事项,请改送"
    assert guiyang.auditor.call("verify_audit_chain")["ok"] is True
    assert office.auditor.call("verify_audit_chain")["ok"] is True
    # and it may be sent again
    again = send(clerk, doc["id"], gz)["deliveries"][0]["inbox_item_id"]
    assert again != item_id
    assert office.registrar.call("get_inbox_item", item_id=again)["status"] == "pending"


def test_a_tenant_onboarded_before_the_address_book_is_filled_in_from_identity(
    rpc, platform_admin, office, ready, pg_superuser
):
    bijie = onboard(rpc, platform_admin, "gz-bj", "毕节市")
    addressable(pg_superuser, bijie.tenant_id, bijie.registry_id)
    with pg_superuser.cursor() as cur:  # as if documents had never heard of it
        cur.execute("DELETE FROM directory_units WHERE tenant_id = %s", (bijie.tenant_id,))
        cur.execute("DELETE FROM directory_tenants WHERE id = %s", (bijie.tenant_id,))
    doc = office.registrar.call(
        "register_document", document=a_document(title="省厅关于转发的通知")
    )
    to_bijie = {"tenant_code": "gz-bj", "unit_id": bijie.registry_id}
    expect_error(
        NotFound, "recipient_tenant_not_found", send, office.registrar, doc["id"], to_bijie
    )
    # its registrar opens the inbox: the tenant is in the book again, and addressable
    assert bijie.registrar.call("list_inbox")["total"] == 0
    out = send(office.registrar, doc["id"], to_bijie)
    [item] = bijie.registrar.call("list_inbox")["items"]
    assert item["id"] == out["deliveries"][0]["inbox_item_id"]
    assert item["source_org"] == "贵州省" and item["sender_tenant_name"] == "贵州省"
    # and it sends within itself from its own units, filled in the same way
    with pg_superuser.cursor() as cur:
        cur.execute("DELETE FROM directory_units WHERE tenant_id = %s", (bijie.tenant_id,))
        cur.execute("DELETE FROM directory_tenants WHERE id = %s", (bijie.tenant_id,))
    unit, clerk = add_registry(bijie, "市委办文书科")
    own = bijie.registrar.call("register_document", document=a_document(title="毕节市内部转送"))
    out = send(bijie.registrar, own["id"], {"unit_id": unit})
    assert out["deliveries"][0]["tenant_code"] == "gz-bj"
    assert clerk.call("list_inbox")["total"] == 1


def test_two_registries_sending_to_each_other_at_once_do_not_deadlock(guiyang, office, ready):
    """Each sending writes to both tenants' audit chains; the locks are taken in one order."""
    to_gz = {"tenant_code": "gz", "unit_id": office.registry_id}
    to_gy = {"tenant_code": "gz-gy", "unit_id": guiyang.registry_id}
    jobs = []
    for i in range(4):
        for sender, target in ((guiyang.registrar, to_gz), (office.registrar, to_gy)):
            made = sender.call("register_document", document=a_document(title=f"互相发送{i}"))
            jobs.append((sender, made["id"], target))
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = []

    def run(sender: Person, document_id: str, target: dict[str, Any]) -> None:
        barrier.wait()
        try:
            results.append(send(sender, document_id, target))
        except Exception as exc:  # every failure is reported below
            results.append(exc)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == len(jobs)
    assert all(isinstance(r, dict) for r in results), [
        r for r in results if not isinstance(r, dict)
    ]
    for tenant in (office, guiyang):
        assert tenant.auditor.call("verify_audit_chain")["ok"] is True
