"""收文登记 through the gateway: a paper document registered with its scans (PDF, PNG,
OFD) streamed into the object store; classified documents, files of other types and
files over the limit are refused and leave nothing behind; another tenant's documents
and files do not exist."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
from minio import Minio

from devstack.stack import Stack
from services.common.settings import Settings
from services.documents import storage
from tests.support import samples
from tests.support.faults import extra_gateway
from tests.support.gateway import Office, error_code, expect_error, ok, real_pdf, register, upload


def staged_objects(settings: Settings, tenant_id: str) -> list[str]:
    """What is left in the tenant's staging area of the bucket."""
    client = Minio(
        settings.minio_endpoint,
        access_key=settings.minio_access_key,
        secret_key=settings.minio_secret_key,
        secure=settings.minio_secure,
    )
    prefix = f"{storage.STAGING_PREFIX}/{tenant_id}/"
    return [o.object_name for o in client.list_objects(settings.minio_bucket, prefix, True)]


def files_of(office: Office, document_id: str) -> list[dict[str, Any]]:
    return list(ok(office["wenshu"].get(f"/documents/{document_id}"))["files"])


def test_a_paper_document_is_registered_with_its_scans(office: Office, settings: Settings):
    registrar = office["wenshu"]
    doc = register(
        registrar,
        "国务院办公厅关于推进政务服务“一网通办”的指导意见",
        doc_number="国办发〔2026〕31号",
        urgency="加急",
        secrecy="非密",
        page_count=12,
        note="原件存文书处",
    )
    assert (doc["urgency"], doc["secrecy"], doc["status"]) == ("urgent", "none", "registered")
    assert doc["registry_unit_id"] == office.units["文书处"]
    assert doc["registered_by"] == registrar.id and doc["files"] == []

    pdf, png = real_pdf("Guobanfa 2026 No. 31"), samples.png()
    ofd = samples.ofd(padding=b"\x00scan" * 2000)
    response = upload(
        registrar, doc["id"], ("正文.pdf", pdf), ("第2页.png", png), ("版式.ofd", ofd)
    )
    files = ok(response, 201)
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("正文.pdf", "application/pdf", len(pdf)),
        ("第2页.png", "image/png", len(png)),
        ("版式.ofd", "application/ofd", len(ofd)),
    ]
    assert [f["sha256"] for f in files] == [hashlib.sha256(d).hexdigest() for d in (pdf, png, ofd)]
    assert all(f["document_id"] == doc["id"] and f["uploaded_by"] == registrar.id for f in files)

    # a scan over the gateway's 1 MiB limit for JSON bodies is taken (its own limit applies)
    big = real_pdf("big") + b"%" + b"0" * (3 * 1024 * 1024) + b"\n"
    [big_file] = ok(upload(registrar, doc["id"], ("合订本.pdf", big)), 201)
    assert big_file["sha256"] == hashlib.sha256(big).hexdigest()

    opened = ok(registrar.get(f"/documents/{doc['id']}"))
    assert [f["id"] for f in opened["files"]] == [f["id"] for f in [*files, big_file]]
    assert staged_objects(settings, office.tenant["id"]) == []  # everything was moved


def test_classified_documents_are_refused_and_not_stored(office: Office):
    registrar = office["wenshu"]
    for level in ("机密", "秘密", "绝密", "confidential"):
        response = registrar.post(
            "/documents",
            json={
                "title": f"涉密来文测试{level}",
                "source_org": "某部委",
                "received_date": "2026-11-20",
                "secrecy": level,
            },
        )
        expect_error(response, 422, "classified_refused")
    found = ok(registrar.get("/documents", params={"q": "涉密来文测试"}))
    assert found["total"] == 0 and found["items"] == []


def test_files_of_other_types_are_refused_and_nothing_is_attached(
    office: Office, settings: Settings
):
    registrar = office["wenshu"]
    doc = register(registrar, "关于报送年度工作总结的通知")
    refused = [
        [("setup.exe", samples.exe())],
        [("说明.txt", "这是一份纯文本说明,不是扫描件。".encode())],
        [("压缩包.zip", samples.plain_zip())],
        # a good scan and a bad one in one request: neither is attached
        [("正文.pdf", real_pdf()), ("病毒.pdf", samples.exe())],
    ]
    for files in refused:
        expect_error(upload(registrar, doc["id"], *files), 422, "file_type_not_allowed")
    expect_error(upload(registrar, doc["id"], ("空.pdf", b"")), 422, "empty_file")
    response = registrar.post(f"/documents/{doc['id']}/files", json={"files": ["正文.pdf"]})
    expect_error(response, 415, "unsupported_media_type")
    response = registrar.post(f"/documents/{doc['id']}/files", data={"title": "x"})
    assert response.status_code in (415, 422) and error_code(response) in (
        "unsupported_media_type",
        "unexpected_part",
    )
    assert files_of(office, doc["id"]) == []
    assert staged_objects(settings, office.tenant["id"]) == []


def test_a_file_over_the_upload_limit_is_refused_with_413(
    office: Office, stack: Stack, settings: Settings
):
    """``MAX_UPLOAD_BYTES`` is the per-file limit; a gateway of its own runs with 64 KiB."""
    registrar = office["wenshu"]
    doc = register(registrar, "关于印发应急预案的通知(含大幅附件)")
    limit = 64 * 1024
    with extra_gateway(stack, "small-uploads", MAX_UPLOAD_BYTES=str(limit)) as small:
        small.wait_ready()
        with httpx.Client(
            base_url=small.url + "/api/v1",
            headers={"Authorization": f"Bearer {registrar.user.access_token}"},
            timeout=20,
            trust_env=False,
        ) as client:
            too_big = real_pdf() + b"%" + b"0" * (limit * 3)
            fits = real_pdf() + b"%" + b"0" * (limit // 2)
            for files in ([too_big], [fits, too_big]):
                response = client.post(
                    f"/documents/{doc['id']}/files",
                    files=[("files", (f"扫描{i}.pdf", data)) for i, data in enumerate(files)],
                )
                expect_error(response, 413, "file_too_large")
            assert files_of(office, doc["id"]) == []
            # one under the limit goes through the same gateway
            [attached] = ok(
                client.post(f"/documents/{doc['id']}/files", files=[("files", ("扫描.pdf", fits))]),
                201,
            )
            assert attached["size"] == len(fits)
    assert [f["id"] for f in files_of(office, doc["id"])] == [attached["id"]]
    assert staged_objects(settings, office.tenant["id"]) == []


def peak_rss_kib(pid: int) -> int:
    """The most memory the process has held so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def streamed_multipart(filename: str, head: bytes, size: int) -> tuple[str, Iterator[bytes]]:
    """A multipart body with one file of ``size`` bytes, made as it is sent (chunked)."""
    boundary = "gongwen-" + "7" * 24
    opening = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f"filename*=UTF-8''{quote(filename)}\r\n"
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield opening + head
        left = size - len(head)
        block = b"0" * (1024 * 1024)
        while left > 0:
            yield block[: min(left, len(block))]
            left -= len(block)
        yield f"\r\n--{boundary}--\r\n".encode()

    return f"multipart/form-data; boundary={boundary}", body()


def test_a_large_scan_is_streamed_never_held_whole(
    office: Office, stack: Stack, settings: Settings
):
    """200 MiB through a gateway allowing 400 MiB: its memory grows by far less than the
    file (bounded by the object store client's parts, whatever the size). The documents
    service keeps its own limit (50 MiB here) and refuses the file when attaching it."""
    registrar = office["wenshu"]
    doc = register(registrar, "关于报送全省政务服务事项清单的通知(大幅扫描件)")
    size = 200 * 1024 * 1024
    with extra_gateway(stack, "large-uploads", MAX_UPLOAD_BYTES=str(400 * 1024 * 1024)) as big:
        big.wait_ready()
        with httpx.Client(
            base_url=big.url + "/api/v1",
            headers={"Authorization": f"Bearer {registrar.user.access_token}"},
            timeout=120,
            trust_env=False,
        ) as client:
            ok(
                client.post(
                    f"/documents/{doc['id']}/files", files=[("files", ("小.pdf", real_pdf()))]
                ),
                201,
            )
            before = peak_rss_kib(big.proc.pid)
            content_type, body = streamed_multipart("全省清单.pdf", real_pdf(), size)
            response = client.post(
                f"/documents/{doc['id']}/files",
                content=body,
                headers={"Content-Type": content_type},
            )
            growth = (peak_rss_kib(big.proc.pid) - before) * 1024
    expect_error(response, 413, "file_too_large")  # the documents service's 50 MiB
    assert growth < size * 0.6, f"the gateway grew by {growth // 2**20} MiB"
    assert [f["filename"] for f in files_of(office, doc["id"])] == ["小.pdf"]
    assert staged_objects(settings, office.tenant["id"]) == []


def test_only_the_registry_registers_and_uploads(office: Office):
    handler = office["dz_ban1"]
    body = {"title": "越权登记", "source_org": "某单位", "received_date": "2026-11-20"}
    expect_error(handler.post("/documents", json=body), 403, "role_required")
    doc = register(office["wenshu"], "关于做好节假日值班工作的通知")
    expect_error(upload(handler, doc["id"], ("a.pdf", real_pdf())), 403, "role_required")
    expect_error(office["ting1"].post("/documents", json=body), 403, "role_required")


def test_bad_registrations_and_malformed_ids(office: Office):
    registrar = office["wenshu"]
    good = {"title": "标题", "source_org": "来文单位", "received_date": "2026-11-20"}
    for bad in (
        {**good, "urgency": "很急"},
        {**good, "secrecy": "公开"},
        {**good, "received_date": "2026-13-01"},
        {**good, "page_count": 0},
        {**good, "title": "   "},
        {**good, "colour": "red"},
        {k: v for k, v in good.items() if k != "source_org"},
    ):
        expect_error(registrar.post("/documents", json=bad), 422, "invalid_input")
    for path in (
        "/documents/not-a-uuid",
        "/documents/123/slip",
        "/documents/xyz/tasks",
        "/files/../content",
        "/files/abc/content",
        "/files/abc/link",
        "/tasks/abc",
        "/templates/abc",
    ):
        response = registrar.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
        if response.status_code == 422:
            assert error_code(response) == "invalid_input"
    expect_error(registrar.get("/documents/not-a-uuid"), 422, "invalid_input")
    expect_error(registrar.get("/files/abc/content"), 422, "invalid_input")
    expect_error(
        registrar.post("/tasks/abc/actions", json={"action": "sign"}), 422, "invalid_input"
    )
    expect_error(upload(registrar, "abc", ("a.pdf", real_pdf())), 422, "invalid_input")


def test_another_tenants_documents_and_files_do_not_exist(office: Office, other_office: Office):
    theirs = register(other_office["wenshu"], "外厅来文:关于数据共享的函")
    [their_file] = ok(upload(other_office["wenshu"], theirs["id"], ("外厅.pdf", real_pdf())), 201)
    mine = register(office["wenshu"], "本厅来文:关于数据共享的函")
    [my_file] = ok(upload(office["wenshu"], mine["id"], ("本厅.pdf", real_pdf())), 201)

    for me, doc, file in (
        (office["wenshu"], theirs, their_file),
        (office["shenji"], theirs, their_file),
        (other_office["wenshu"], mine, my_file),
    ):
        expect_error(me.get(f"/documents/{doc['id']}"), 404, "document_not_found")
        expect_error(me.get(f"/documents/{doc['id']}/slip"), 404, "document_not_found")
        expect_error(me.get(f"/documents/{doc['id']}/tasks"), 404, "document_not_found")
        expect_error(me.get(f"/files/{file['id']}/content"), 404, "file_not_found")
        expect_error(me.get(f"/files/{file['id']}/link"), 404, "file_not_found")
        assert ok(me.get("/documents", params={"q": "数据共享的函"}))["total"] == 1
        if "registrar" not in me.roles:
            continue
        expect_error(upload(me, doc["id"], ("x.pdf", real_pdf())), 404, "document_not_found")
        response = me.post(f"/documents/{doc['id']}/distribute", json={"lead_unit_id": me.unit_id})
        expect_error(response, 404, "document_not_found")

    # distributing one's own document to another tenant's division
    division = other_office.units["办公室"]
    expect_error(
        office["wenshu"].post(
            f"/documents/{mine['id']}/distribute", json={"lead_unit_id": division}
        ),
        404,
        "unit_not_found",
    )
    assert len(ok(other_office["wenshu"].get(f"/documents/{theirs['id']}"))["files"]) == 1
