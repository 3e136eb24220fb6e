"""The gateway's documents, files, tasks, templates and audit routes without a broker:
what each sends to which service, uploads streamed into a stand-in object store,
downloads streamed out of it, and the refusals made before a service is asked."""

from __future__ import annotations

import hashlib
import uuid
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import Any

import pytest

from gateway.app import create_app
from gateway.deps import GatewayState
from services.common import objectstore
from services.common.errors import Conflict, InvalidInput, NotFound
from services.common.settings import Settings
from services.routing.schemas import DEFAULT_INCOMING
from services.routing.templates import validate_template
from tests.support.gateway_app import ISSUER, USER, Harness, claims, error_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PDF = b"%PDF-1.4\n" + b"0" * 3000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 500
DOC_ID = str(uuid.uuid4())
TENANT_ID = str(uuid.uuid4())


class FakeObjects:
    """An in-memory object store that digests what is streamed into it like the real one."""

    bucket = "scans"

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.removed: list[str] = []
        self.chunk_sizes: list[int] = []

    async def stage(
        self, key: str, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> tuple[int, str, str]:
        data = bytearray()
        async for chunk in chunks:
            self.chunk_sizes.append(len(chunk))
            data += chunk
            if len(data) > max_bytes:
                raise objectstore.file_too_large(max_bytes)
        if not data:
            raise InvalidInput("empty_file", "the upload is empty")
        self.objects[key] = bytes(data)
        return len(data), hashlib.sha256(data).hexdigest(), objectstore.sniff_bytes(bytes(data))

    async def remove(self, key: str) -> None:
        self.removed.append(key)
        self.objects.pop(key, None)

    async def copy(self, source_key: str, target_key: str) -> None:
        self.objects[target_key] = self.objects[source_key]

    async def open(self, bucket: str, key: str) -> AsyncIterable[bytes]:
        if key not in self.objects:
            raise NotFound("file_content_missing", "gone")
        data = self.objects[key]

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(data), 1000):
                yield data[i : i + 1000]

        return chunks()


class StoreHarness(Harness):
    def __init__(self) -> None:
        super().__init__()
        self.objects = FakeObjects()

    def state(self, settings: Settings) -> GatewayState:
        state = super().state(settings)
        state.objects = self.objects
        return state


@pytest.fixture()
def harness() -> StoreHarness:
    return StoreHarness()


@pytest.fixture()
def client(harness: StoreHarness) -> Iterator[TestClient]:
    app = create_app(
        Settings(jwt_issuer=ISSUER, rpc_timeout=5),
        configure_logs=False,
        state_factory=harness.state,
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def token(harness: Harness, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {harness.key.sign(claims(roles=list(roles), tid=TENANT_ID))}"}


def document(status: str = "registered") -> dict[str, Any]:
    return {"id": DOC_ID, "status": status}


def attach_echo(document_id: str, file: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "document_id": document_id,
        "filename": file["filename"],
        "content_type": file["content_type"],
        "size": file["size"],
        "sha256": file["sha256"],
        "uploaded_by": str(uuid.uuid4()),
        "uploaded_at": "2026-11-20T08:00:00Z",
    }


def calls(harness: Harness, method: str) -> list[dict[str, Any]]:
    return [kwargs for _, m, kwargs, _ in harness.rpc.calls if m == method]


# -- uploads ------------------------------------------------------------------------------------------


def test_scans_are_streamed_into_staging_then_attached(harness: StoreHarness, client: TestClient):
    harness.rpc.script[("documents", "get_document")] = document()
    harness.rpc.script[("documents", "attach_file")] = attach_echo
    big = b"%PDF-1.7\n" + b"x" * (3 * 1024 * 1024)  # over the 1 MiB JSON body limit
    response = client.post(
        f"/api/v1/documents/{DOC_ID}/files",
        headers=token(harness, "registrar"),
        files=[
            ("files", ("国办发〔2026〕12号.pdf", big, "application/pdf")),
            ("files", ("附件.png", PNG, "image/jpeg")),  # the claimed type is ignored
        ],
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert [f["filename"] for f in out] == ["国办发〔2026〕12号.pdf", "附件.png"]
    assert [f["content_type"] for f in out] == ["application/pdf", "image/png"]
    assert out[0]["sha256"] == hashlib.sha256(big).hexdigest() and out[0]["size"] == len(big)
    attached = calls(harness, "attach_file")
    assert [a["document_id"] for a in attached] == [DOC_ID, DOC_ID]
    keys = [a["file"]["staging_key"] for a in attached]
    assert all(k.startswith(f"staging/{TENANT_ID}/") for k in keys) and len(set(keys)) == 2
    assert harness.objects.removed == []  # documents moved what it attached


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        (
            [("a.pdf", PDF), ("virus.exe", b"MZ\x90\x00" + b"\x00" * 100)],
            422,
            "file_type_not_allowed",
        ),
        ([("说明.txt", "这不是扫描件".encode())], 422, "file_type_not_allowed"),
        ([("a.pdf", PDF), ("empty.pdf", b"")], 422, "empty_file"),
        ([("big.pdf", b"%PDF-" + b"0" * 5000)], 413, "file_too_large"),
    ],
)
def test_a_refused_file_leaves_nothing_attached(
    harness: StoreHarness,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    files: list[tuple[str, bytes]],
    status: int,
    code: str,
):
    monkeypatch.setattr(objectstore, "max_upload_bytes", lambda: 4096)
    harness.rpc.script[("documents", "get_document")] = document()
    response = client.post(
        f"/api/v1/documents/{DOC_ID}/files",
        headers=token(harness, "registrar"),
        files=[("files", (name, data, "application/pdf")) for name, data in files],
    )
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert calls(harness, "attach_file") == []
    assert harness.objects.objects == {}  # what was staged is removed again


def test_upload_refusals_before_a_byte_is_read(harness: StoreHarness, client: TestClient):
    url = f"/api/v1/documents/{DOC_ID}/files"
    multipart = [("files", ("a.pdf", PDF, "application/pdf"))]
    # not the registry: refused before any service is asked
    response = client.post(url, headers=token(harness, "handler"), files=multipart)
    assert (response.status_code, error_of(response)["code"]) == (403, "role_required")
    assert harness.rpc.calls == []
    # not multipart
    response = client.post(url, headers=token(harness, "registrar"), json={"files": []})
    assert (response.status_code, error_of(response)["code"]) == (415, "unsupported_media_type")
    # another tenant's document, an archived one
    harness.rpc.script[("documents", "get_document")] = NotFound("document_not_found", "x")
    response = client.post(url, headers=token(harness, "registrar"), files=multipart)
    assert (response.status_code, error_of(response)["code"]) == (404, "document_not_found")
    harness.rpc.script[("documents", "get_document")] = document("archived")
    response = client.post(url, headers=token(harness, "registrar"), files=multipart)
    assert (response.status_code, error_of(response)["code"]) == (409, "document_archived")
    assert harness.objects.chunk_sizes == [] and calls(harness, "attach_file") == []
    # a malformed id
    response = client.post(
        "/api/v1/documents/not-an-id/files", headers=token(harness, "registrar"), files=multipart
    )
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_input")


def test_uploads_without_files_or_with_other_fields_are_refused(
    harness: StoreHarness, client: TestClient
):
    harness.rpc.script[("documents", "get_document")] = document()
    url = f"/api/v1/documents/{DOC_ID}/files"
    headers = token(harness, "registrar")
    response = client.post(url, headers=headers, data={"note": "x"}, files=[("x", ("", b""))])
    assert error_of(response)["code"] in ("unexpected_part", "no_files")
    response = client.post(
        url, headers=headers, data={"title": "x"}, files=[("files", ("a.pdf", PDF))]
    )
    assert (response.status_code, error_of(response)["code"]) == (422, "unexpected_part")
    response = client.post(
        url,
        headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b"--xyz--\r\n",
    )
    assert (response.status_code, error_of(response)["code"]) == (422, "no_files")
    assert calls(harness, "attach_file") == [] and harness.objects.objects == {}


def test_a_service_refusal_while_attaching_removes_what_is_still_staged(
    harness: StoreHarness, client: TestClient
):
    harness.rpc.script[("documents", "get_document")] = document()
    harness.rpc.script[("documents", "attach_file")] = Conflict("document_archived", "archived")
    response = client.post(
        f"/api/v1/documents/{DOC_ID}/files",
        headers=token(harness, "registrar"),
        files=[("files", ("a.pdf", PDF)), ("files", ("b.png", PNG))],
    )
    assert (response.status_code, error_of(response)["code"]) == (409, "document_archived")
    assert len(calls(harness, "attach_file")) == 1
    assert harness.objects.objects == {} and len(harness.objects.removed) == 2


def test_the_json_body_limit_still_applies_elsewhere(harness: StoreHarness, client: TestClient):
    response = client.post(
        "/api/v1/documents",
        headers={**token(harness, "registrar"), "Content-Type": "application/json"},
        content=b'{"title": "' + b"a" * (2 * 1024 * 1024) + b'"}',
    )
    assert (response.status_code, error_of(response)["code"]) == (413, "payload_too_large")


# -- downloads --------------------------------------------------------------------------------------


def test_a_scan_is_streamed_with_its_type_length_and_name(
    harness: StoreHarness, client: TestClient
):
    file_id = str(uuid.uuid4())
    key = f"documents/{TENANT_ID}/{DOC_ID}/{file_id}"
    harness.objects.objects[key] = PDF
    harness.rpc.script[("documents", "file_download")] = {
        "file_id": file_id,
        "filename": "国办发〔2026〕12号.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "bucket": "scans",
        "object_key": key,
    }
    response = client.get(f"/api/v1/files/{file_id}/content", headers=token(harness, "handler"))
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(PDF))
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"____2026_12_.pdf\"; filename*=UTF-8''"
        "%E5%9B%BD%E5%8A%9E%E5%8F%91%E3%80%942026%E3%80%9512%E5%8F%B7.pdf"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert calls(harness, "file_download")[-1] == {"file_id": file_id, "presign": False}

    harness.rpc.script[("documents", "file_download")] = NotFound("file_not_found", "x")
    response = client.get(f"/api/v1/files/{file_id}/content", headers=token(harness, "handler"))
    assert (response.status_code, error_of(response)["code"]) == (404, "file_not_found")


def test_a_link_is_presigned_by_documents(harness: StoreHarness, client: TestClient):
    file_id = str(uuid.uuid4())
    harness.rpc.script[("documents", "file_download")] = {
        "file_id": file_id,
        "filename": "a.pdf",
        "content_type": "application/pdf",
        "size": 3,
        "sha256": "0" * 64,
        "bucket": "scans",
        "object_key": "documents/x",
        "url": "http://s3.local/scans/documents/x?X-Amz-Signature=abc",
        "url_expires_at": "2026-11-20T08:05:00Z",
    }
    out = client.get(f"/api/v1/files/{file_id}/link", headers=token(harness, "handler")).json()
    assert out["url"].startswith("http://s3.local/") and "object_key" not in out
    assert calls(harness, "file_download")[-1] == {"file_id": file_id, "presign": True}


# -- what the other routes send ------------------------------------------------------------------


def test_distribution_and_circulation_take_the_document_from_the_path(
    harness: StoreHarness, client: TestClient
):
    lead, other = str(uuid.uuid4()), str(uuid.uuid4())
    harness.rpc.script[("routing", "circulate")] = []
    response = client.post(
        f"/api/v1/documents/{DOC_ID}/distribute",
        headers=token(harness, "registrar"),
        json={"lead_unit_id": lead, "assisting_unit_ids": [other], "note": "请办理"},
    )
    assert response.status_code != 422
    assert calls(harness, "distribute")[-1] == {
        "distribution": {
            "document_id": DOC_ID,
            "lead_unit_id": lead,
            "assisting_unit_ids": [other],
            "note": "请办理",
        }
    }
    response = client.post(
        f"/api/v1/documents/{DOC_ID}/distribute",
        headers=token(harness, "handler"),
        json={"lead_unit_id": lead},
    )
    assert (response.status_code, error_of(response)["code"]) == (403, "role_required")
    response = client.post(
        f"/api/v1/documents/{DOC_ID}/distribute",
        headers=token(harness, "registrar"),
        json={"lead_unit_id": lead, "document_id": DOC_ID},
    )
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_input")

    response = client.post(
        f"/api/v1/documents/{DOC_ID}/circulate",
        headers=token(harness, "handler"),
        json={"user_ids": [USER["id"]]},
    )
    assert response.status_code == 200
    assert calls(harness, "circulate")[-1] == {
        "circulation": {"document_id": DOC_ID, "user_ids": [USER["id"]], "note": None}
    }


def test_the_route_of_a_document_is_shown_only_to_who_may_see_it(
    harness: StoreHarness, client: TestClient
):
    harness.rpc.script[("documents", "get_document")] = NotFound("document_not_found", "x")
    response = client.get(f"/api/v1/documents/{DOC_ID}/tasks", headers=token(harness, "handler"))
    assert (response.status_code, error_of(response)["code"]) == (404, "document_not_found")
    assert calls(harness, "document_tasks") == []


def test_search_passes_the_query_model(harness: StoreHarness, client: TestClient):
    harness.rpc.script[("documents", "search_documents")] = {
        "items": [],
        "total": 0,
        "limit": 20,
        "offset": 0,
    }
    response = client.get(
        "/api/v1/documents",
        headers=token(harness, "handler"),
        params={"q": "政务数据", "status": "distributed", "received_from": "2026-11-01"},
    )
    assert response.status_code == 200
    assert calls(harness, "search_documents")[-1] == {
        "query": {"q": "政务数据", "status": "distributed", "received_from": "2026-11-01"}
    }
    for bad in ({"status": "lost"}, {"received_to": "yesterday"}, {"limit": 0}, {"colour": "red"}):
        response = client.get("/api/v1/documents", headers=token(harness, "handler"), params=bad)
        assert (response.status_code, error_of(response)["code"]) == (422, "invalid_input"), bad


def test_task_routes(harness: StoreHarness, client: TestClient):
    task_id = str(uuid.uuid4())
    headers = token(harness, "handler")
    client.get("/api/v1/tasks/todo", headers=headers, params={"limit": 5, "offset": 10})
    assert calls(harness, "list_todo")[-1] == {"query": {"limit": 5, "offset": 10}}
    client.get("/api/v1/tasks/done", headers=headers)
    assert calls(harness, "list_done")[-1] == {"query": {"limit": 20, "offset": 0}}
    client.get("/api/v1/reading", headers=headers)
    assert calls(harness, "list_to_read")[-1] == {"query": {"limit": 20, "offset": 0}}
    client.post(
        f"/api/v1/tasks/{task_id}/actions",
        headers=headers,
        json={"action": "return", "opinion": "请补充材料"},
    )
    assert calls(harness, "act")[-1] == {
        "task_id": task_id,
        "action": {"action": "return", "opinion": "请补充材料"},
    }
    client.post(f"/api/v1/tasks/{task_id}/urge", headers=headers)
    assert calls(harness, "urge")[-1] == {"task_id": task_id, "urge": {}}
    client.post(f"/api/v1/tasks/{task_id}/urge", headers=headers, json={"message": "请尽快"})
    assert calls(harness, "urge")[-1] == {"task_id": task_id, "urge": {"message": "请尽快"}}
    for response in (
        client.post(f"/api/v1/tasks/{task_id}/actions", headers=headers, json={"action": "fly"}),
        client.get("/api/v1/tasks/todo", headers=headers, params={"limit": 500}),
        client.get("/api/v1/tasks/not-an-id", headers=headers),
        client.post("/api/v1/reading/123/read", headers=headers),
    ):
        assert (response.status_code, error_of(response)["code"]) == (422, "invalid_input")


def test_templates_need_the_tenant_admin_to_change(harness: StoreHarness, client: TestClient):
    template = DEFAULT_INCOMING.model_dump(mode="json")
    response = client.post("/api/v1/templates", headers=token(harness, "handler"), json=template)
    assert (response.status_code, error_of(response)["code"]) == (403, "role_required")
    client.post("/api/v1/templates", headers=token(harness, "tenant_admin"), json=template)
    assert calls(harness, "create_template")[-1] == {"template": template}
    unit = str(uuid.uuid4())
    client.post(
        f"/api/v1/templates/{DOC_ID}/assign",
        headers=token(harness, "tenant_admin"),
        json={"unit_ids": [unit]},
    )
    assert calls(harness, "assign_template")[-1] == {"template_id": DOC_ID, "unit_ids": [unit]}


def test_audit_verification_of_either_trail(harness: StoreHarness, client: TestClient):
    harness.rpc.script[("documents", "verify_audit_chain")] = {"ok": True, "checked": 3}
    harness.rpc.script[("identity", "verify_audit_chain")] = {"ok": True, "checked": 9}
    headers = token(harness, "auditor")
    assert client.get("/api/v1/audit/verify", headers=headers).json()["checked"] == 9
    response = client.get("/api/v1/audit/verify", headers=headers, params={"service": "documents"})
    assert response.json()["checked"] == 3
    response = client.get("/api/v1/audit/verify", headers=headers, params={"service": "ledger"})
    assert (response.status_code, error_of(response)["code"]) == (422, "invalid_input")


# -- the API description ------------------------------------------------------------------------


NEW_PATHS = (
    "/api/v1/documents",
    "/api/v1/documents/{document_id}",
    "/api/v1/documents/{document_id}/slip",
    "/api/v1/documents/{document_id}/tasks",
    "/api/v1/documents/{document_id}/files",
    "/api/v1/documents/{document_id}/distribute",
    "/api/v1/documents/{document_id}/circulate",
    "/api/v1/files/{file_id}/content",
    "/api/v1/files/{file_id}/link",
    "/api/v1/tasks/todo",
    "/api/v1/tasks/done",
    "/api/v1/tasks/{task_id}",
    "/api/v1/tasks/{task_id}/actions",
    "/api/v1/tasks/{task_id}/urge",
    "/api/v1/reading",
    "/api/v1/reading/{read_item_id}/read",
    "/api/v1/templates",
    "/api/v1/templates/{template_id}",
    "/api/v1/templates/{template_id}/assign",
)


def test_every_new_endpoint_is_documented_with_a_summary_and_body_examples(client: TestClient):
    spec = client.get("/openapi.json").json()
    assert {"documents", "files", "tasks", "reading", "templates"} <= {
        t["name"] for t in spec["tags"]
    }
    for path in NEW_PATHS:
        for method, operation in spec["paths"][path].items():
            assert operation.get("summary"), (method, path)
            assert operation.get("tags"), (method, path)
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                assert body["application/json"].get("examples"), (method, path)
    upload = spec["paths"]["/api/v1/documents/{document_id}/files"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "413" in upload["responses"]
    actions = spec["paths"]["/api/v1/tasks/{task_id}/actions"]["post"]["requestBody"]
    assert {"sign", "instruct_on_behalf", "return"} <= set(
        actions["content"]["application/json"]["examples"]
    )


def test_the_example_template_variant_is_a_valid_template():
    from gateway.routers.templates import _without_leaders
    from services.routing.schemas import TemplateDef

    validate_template(TemplateDef.model_validate(_without_leaders()))


def test_a_task_is_shown_to_its_holder_or_to_who_may_see_its_document(
    harness: StoreHarness, client: TestClient
):
    me = claims(roles=["handler"], tid=TENANT_ID)
    headers = {"Authorization": f"Bearer {harness.key.sign(me)}"}
    task = {
        "id": str(uuid.uuid4()),
        "tenant_id": TENANT_ID,
        "document_id": DOC_ID,
        "instance_id": str(uuid.uuid4()),
        "step": "propose",
        "step_name": "拟办(承办节点)",
        "unit_id": str(uuid.uuid4()),
        "assignee_id": me["sub"],
        "status": "open",
        "title": "关于加强政务数据共享的通知",
        "doc_number": None,
        "urgency": "urgent",
        "role_in_document": "lead",
        "created_at": "2026-11-20T08:00:00Z",
        "due_at": "2026-11-25T16:00:00Z",
        "overdue": False,
        "version": 1,
        "allowed_actions": ["propose", "return"],
    }
    harness.rpc.script[("routing", "get_task")] = task
    harness.rpc.script[("documents", "get_document")] = NotFound("document_not_found", "x")
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=headers).status_code == 200
    assert calls(harness, "get_document") == []  # mine: nothing more to ask
    task.update(assignee_id=None, unit_id=me["ou"])  # pooled to my division
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=headers).status_code == 200
    task.update(assignee_id=str(uuid.uuid4()))  # somebody else's
    response = client.get(f"/api/v1/tasks/{task['id']}", headers=headers)
    assert (response.status_code, error_of(response)["code"]) == (404, "task_not_found")
    assert calls(harness, "get_document") == [{"document_id": DOC_ID}]
