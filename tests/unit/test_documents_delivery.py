"""Delivery through the platform without a broker: the received date and 来文单位 rules,
the contract of sending, the inbox item's view, the address book's handling of
identity's events, and the gateway's inbox routes (what they send, what they refuse
before asking, how they appear in the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.app import create_app
from services.common.errors import Conflict, InvalidInput
from services.common.events import EventEnvelope
from services.common.inputs import parse
from services.common.settings import Settings
from services.documents import delivery
from services.documents.delivery import UnitRef, received_date_of, source_org_of
from services.documents.models import InboxItem
from services.documents.schemas import InboxQuery, SendRequest
from tests.support.gateway_app import ISSUER, Harness, error_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

UTC = dt.UTC


# -- the received date: the day of sending in Asia/Shanghai ------------------------------------


@pytest.mark.parametrize(
    ("sent_at", "day"),
    [
        (dt.datetime(2026, 11, 20, 15, 59, 59, tzinfo=UTC), dt.date(2026, 11, 20)),
        (dt.datetime(2026, 11, 20, 16, 0, 0, tzinfo=UTC), dt.date(2026, 11, 21)),  # 00:00 CST
        (dt.datetime(2026, 12, 31, 17, 30, tzinfo=UTC), dt.date(2027, 1, 1)),
        (
            dt.datetime(2026, 9, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            dt.date(2026, 9, 30),
        ),
    ],
)
def test_a_sent_document_arrives_on_the_day_of_sending_in_shanghai(sent_at, day):
    assert received_date_of(sent_at) == day


# -- 来文单位: the organisation the sending unit belongs to ------------------------------------------


def test_the_source_organisation_is_the_enclosing_unit():
    root = UnitRef("贵州省", "unit")
    office = UnitRef("省政府办公厅", "unit")
    registry, section = UnitRef("文书处", "division"), UnitRef("收文科", "section")
    # a registry directly under the tenant's root: the tenant itself
    assert source_org_of("贵阳市", [UnitRef("贵阳市", "unit"), registry]) == "贵阳市"
    assert source_org_of("贵阳市", [UnitRef("贵阳市", "unit")]) == "贵阳市"
    # a registry of an organisation inside the tenant: that organisation, qualified
    assert source_org_of("贵州省", [root, office, registry, section]) == "贵州省 省政府办公厅"
    assert source_org_of("贵州省", [root, UnitRef("贵州省发展改革委", "unit"), registry]) == (
        "贵州省发展改革委"
    )
    # the book knows only part of the chain: the tenant
    assert source_org_of("贵州省", [registry, section]) == "贵州省"
    assert source_org_of("贵州省", []) == "贵州省"
    assert len(source_org_of("省" * 150, [root, UnitRef("办" * 150, "unit")])) == 200


# -- the contract ------------------------------------------------------------------------------------


def test_a_sending_names_at_least_one_recipient_and_nothing_else():
    unit = str(uuid.uuid4())
    req = parse(SendRequest, {"recipients": [{"tenant_code": " gz ", "unit_id": unit}]})
    assert req.recipients[0].tenant_code == "gz" and req.recipients[0].tenant_id is None
    own = parse(SendRequest, {"recipients": [{"unit_id": unit}], "note": "请查收"})
    assert own.recipients[0].tenant_code is None and own.note == "请查收"
    for bad in (
        {"recipients": []},
        {},
        {"recipients": [{"tenant_code": "gz"}]},
        {"recipients": [{"unit_id": "not-an-id"}]},
        {"recipients": [{"unit_id": unit, "unit_name": "文书处"}]},
        {"recipients": [{"unit_id": unit}], "cc": []},
    ):
        with pytest.raises(InvalidInput):
            parse(SendRequest, bad)
    with pytest.raises(InvalidInput):
        parse(InboxQuery, {"status": "opened"})
    assert parse(InboxQuery, {"status": "pending"}).limit == 20


def an_item(**overrides: Any) -> InboxItem:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "recipient_unit_id": uuid.uuid4(),
        "status": "pending",
        "sender_tenant_id": uuid.uuid4(),
        "sender_tenant_code": "gz-gy",
        "sender_tenant_name": "贵阳市",
        "sender_unit_id": uuid.uuid4(),
        "sender_unit_name": "文书处",
        "source_document_id": uuid.uuid4(),
        "sent_by": uuid.uuid4(),
        "sent_by_name": "贵阳文书",
        "sent_at": dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        "title": "贵阳市关于报送政务数据共享目录的报告",
        "doc_number": "筑府办函〔2026〕88号",
        "source_org": "贵阳市",
        "urgency": "urgent",
        "secrecy": "internal",
        "page_count": 5,
        "received_date": dt.date(2026, 11, 20),
        "note": None,
        "files": [
            {
                "filename": "正文.pdf",
                "content_type": "application/pdf",
                "size": 1234,
                "sha256": "a" * 64,
                "bucket": "scans",
                "object_key": "documents/t/d/f",
            }
        ],
    }
    values.update(overrides)
    return InboxItem(**values)


def test_an_inbox_item_shows_the_scans_but_not_where_the_sender_keeps_them():
    item = an_item()
    out = delivery.inbox_item_out(item).model_dump(mode="json")
    assert out["files"] == [
        {
            "filename": "正文.pdf",
            "content_type": "application/pdf",
            "size": 1234,
            "sha256": "a" * 64,
        }
    ]
    assert "source_document_id" not in out and "object_key" not in str(out)
    assert (out["urgency"], out["secrecy"], out["status"]) == ("urgent", "internal", "pending")
    snapshot = delivery.item_snapshot(item)
    assert snapshot["files"] == [{"filename": "正文.pdf", "sha256": "a" * 64}]
    assert "object_key" not in str(snapshot)


def test_an_item_is_signed_for_or_refused_once():
    delivery._check_pending(an_item())
    for status, code in (("signed", "already_signed"), ("refused", "already_refused")):
        with pytest.raises(Conflict) as info:
            delivery._check_pending(an_item(status=status))
        assert info.value.code == code


class RecordingSession:
    """Stands in for a session: records the statements executed."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    def execute(self, statement: Any) -> None:
        self.statements.append(statement)


def envelope(event_type: str, data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        id=uuid.uuid4(),
        type=event_type,
        source="identity",
        occurred_at=dt.datetime(2026, 11, 20, tzinfo=UTC),
        data=data,
    )


def test_the_address_book_takes_what_identity_announces_and_drops_what_it_cannot_use():
    session = RecordingSession()
    tenant = {"id": str(uuid.uuid4()), "code": "gz-gy", "name": "贵阳市", "path": "gz/gz-gy"}
    assert delivery.apply_tenant_created(session, envelope("tenant.created", tenant))  # type: ignore[arg-type]
    unit = {
        "id": str(uuid.uuid4()),
        "tenant_id": tenant["id"],
        "name": "文书处",
        "kind": "division",
        "parent_id": str(uuid.uuid4()),
        "path": "/a/b/",
        "active": True,
    }
    assert delivery.apply_org_unit_event(session, envelope("org_unit.created", unit))  # type: ignore[arg-type]
    assert len(session.statements) == 2
    for bad in ({**tenant, "id": "x"}, {"id": tenant["id"], "code": "gz-gy"}):
        assert not delivery.apply_tenant_created(session, envelope("tenant.created", bad))  # type: ignore[arg-type]
    for bad in ({**unit, "tenant_id": None}, {**unit, "name": 7}, {"id": unit["id"]}):
        assert not delivery.apply_org_unit_event(session, envelope("org_unit.updated", bad))  # type: ignore[arg-type]
    assert len(session.statements) == 2


# -- the gateway's routes ----------------------------------------------------------------------------


@pytest.fixture()
def harness() -> Harness:
    return Harness()


@pytest.fixture()
def client(harness: Harness) -> Iterator[TestClient]:
    app = create_app(
        Settings(jwt_issuer=ISSUER, rpc_timeout=5),
        configure_logs=False,
        state_factory=harness.state,
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


DOC_ID = str(uuid.uuid4())
ITEM_ID = str(uuid.uuid4())


def calls(harness: Harness, method: str) -> list[dict[str, Any]]:
    return [kwargs for _, m, kwargs, _ in harness.rpc.calls if m == method]


def test_sending_and_the_inbox_go_to_documents_for_registrars(harness: Harness, client: TestClient):
    registrar = harness.token(roles=["registrar"])
    unit = str(uuid.uuid4())
    harness.rpc.script[("documents", "send_document")] = {
        "document_id": DOC_ID,
        "sent_at": "2026-11-20T02:00:00Z",
        "sent_by": str(uuid.uuid4()),
        "deliveries": [],
    }
    body = {"recipients": [{"tenant_code": "gz", "unit_id": unit}], "note": "请查收"}
    response = client.post(f"/api/v1/documents/{DOC_ID}/send", headers=registrar, json=body)
    assert response.status_code == 201, response.text
    [sent] = calls(harness, "send_document")
    assert sent == {
        "document_id": DOC_ID,
        "sending": {
            "recipients": [{"tenant_code": "gz", "tenant_id": None, "unit_id": unit}],
            "note": "请查收",
        },
    }

    harness.rpc.script[("documents", "list_inbox")] = {
        "items": [],
        "total": 0,
        "limit": 5,
        "offset": 0,
    }
    response = client.get("/api/v1/inbox?status=pending&limit=5", headers=registrar)
    assert response.status_code == 200, response.text
    assert calls(harness, "list_inbox") == [{"query": {"status": "pending", "limit": 5}}]

    new_document = {
        "id": str(uuid.uuid4()),
        "tenant_id": str(uuid.uuid4()),
        "title": "贵阳市关于报送政务数据共享目录的报告",
        "source_org": "贵阳市",
        "doc_number": "筑府办函〔2026〕88号",
        "received_date": "2026-11-20",
        "urgency": "urgent",
        "secrecy": "none",
        "page_count": 5,
        "note": None,
        "status": "registered",
        "registry_unit_id": str(uuid.uuid4()),
        "registered_by": str(uuid.uuid4()),
        "registered_at": "2026-11-20T03:00:00Z",
    }
    harness.rpc.script[("documents", "sign_inbox_item")] = new_document
    response = client.post(f"/api/v1/inbox/{ITEM_ID}/sign", headers=registrar)
    assert response.status_code == 201, response.text
    assert response.json()["id"] == new_document["id"]
    assert calls(harness, "sign_inbox_item") == [{"item_id": ITEM_ID}]
    harness.rpc.script[("documents", "sign_inbox_item")] = Conflict("already_signed", "x")
    response = client.post(f"/api/v1/inbox/{ITEM_ID}/sign", headers=registrar)
    assert (response.status_code, error_of(response)["code"]) == (409, "already_signed")

    client.post(f"/api/v1/inbox/{ITEM_ID}/refuse", headers=registrar, json={"reason": "错送"})
    assert calls(harness, "refuse_inbox_item") == [
        {"item_id": ITEM_ID, "refusal": {"reason": "错送"}}
    ]


def test_refusals_before_documents_is_asked(harness: Harness, client: TestClient):
    handler = harness.token(roles=["handler", "division_head"])
    unit = str(uuid.uuid4())
    for method, path, body in (
        ("post", f"/api/v1/documents/{DOC_ID}/send", {"recipients": [{"unit_id": unit}]}),
        ("get", "/api/v1/inbox", None),
        ("get", f"/api/v1/inbox/{ITEM_ID}", None),
        ("post", f"/api/v1/inbox/{ITEM_ID}/sign", None),
        ("post", f"/api/v1/inbox/{ITEM_ID}/refuse", {"reason": "x"}),
    ):
        response = client.request(method, path, headers=handler, json=body)
        assert (response.status_code, error_of(response)["code"]) == (403, "role_required"), path
    registrar = harness.token(roles=["registrar"])
    for path, body in (
        (f"/api/v1/documents/{DOC_ID}/send", {"recipients": []}),
        (f"/api/v1/documents/{DOC_ID}/send", {"recipients": [{"unit_id": "x"}]}),
        ("/api/v1/documents/not-an-id/send", {"recipients": [{"unit_id": unit}]}),
        (f"/api/v1/inbox/{ITEM_ID}/refuse", {"reason": ""}),
    ):
        response = client.post(path, headers=registrar, json=body)
        assert response.status_code == 422, (path, response.text)
    assert client.get("/api/v1/inbox").status_code == 401
    assert harness.rpc.calls == []


def test_the_inbox_routes_are_documented_with_chinese_terms_and_examples(client: TestClient):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    send = paths["/api/v1/documents/{document_id}/send"]["post"]
    assert "发送" in send["summary"] and send["tags"] == ["documents"]
    examples = send["requestBody"]["content"]["application/json"]["examples"]
    assert examples["default"]["value"]["recipients"][0]["tenant_code"] == "gz"
    assert "收文箱" in paths["/api/v1/inbox"]["get"]["summary"]
    sign = paths["/api/v1/inbox/{item_id}/sign"]["post"]
    assert "签收" in sign["summary"] and "201" in sign["responses"] and "409" in sign["responses"]
    assert "拒收" in paths["/api/v1/inbox/{item_id}/refuse"]["post"]["summary"]
    assert any(tag["name"] == "inbox" for tag in spec["tags"])


# -- identity, as the address book asks it ------------------------------------------------------------


class FakeIdentity:
    def __init__(self, error: Exception | None = None, answer: Any = None) -> None:
        self.error = error
        self.answer = answer

    def get_tenant(self, tenant_id: str) -> Any:
        if self.error is not None:
            raise self.error
        return self.answer

    def list_org_units(self) -> Any:
        return self.get_tenant("")


def test_identitys_answers_reach_the_address_book_as_typed_errors():
    from nameko.exceptions import RemoteError, UnknownService

    from services.common.errors import Forbidden, ServiceUnavailable
    from services.documents.service import IdentityPort

    tenant_id = uuid.uuid4()
    found = IdentityPort(FakeIdentity(answer={"id": str(tenant_id)}), tenant_id)
    assert found.own_tenant() == {"id": str(tenant_id)}
    assert IdentityPort(FakeIdentity(answer=None), tenant_id).own_units() == []
    assert IdentityPort(FakeIdentity(), None).own_tenant() is None  # no tenant: nothing to ask
    missing = RemoteError("NotFound", "tenant_not_found: no such tenant")
    assert IdentityPort(FakeIdentity(missing), tenant_id).own_tenant() is None
    refused = RemoteError("Forbidden", "tenant_required: this call needs a tenant user")
    with pytest.raises(Forbidden) as info:
        IdentityPort(FakeIdentity(refused), tenant_id).own_units()
    assert info.value.code == "tenant_required"
    with pytest.raises(ServiceUnavailable):
        IdentityPort(FakeIdentity(UnknownService("identity")), tenant_id).own_tenant()
    with pytest.raises(RemoteError):  # a crash of identity stays a crash
        IdentityPort(FakeIdentity(RemoteError("KeyError", "x")), tenant_id).own_tenant()
