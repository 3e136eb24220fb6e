"""Offices (省政府办公厅) of the documents tests — a registry, divisions and their people,
made through identity — their calls to documents, a sample registration, and what the
gateway does with an upload (stream it into staging, then attach it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.documents import storage
from tests.support.identity import context_from_token
from tests.support.stacks import SyncRpc

#: the service-side upload limit of the test stack (small, to test the refusal cheaply)
SERVICE_MAX_UPLOAD_BYTES = 12 * 1024 * 1024
PASSWORD = "correct-horse-9"


def count_rows(conn: Any, sql: str, *params: Any) -> int:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


@dataclass
class Person:
    """A user of a tenant and the context of their calls."""

    rpc: SyncRpc
    user: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def name(self) -> str:
        return str(self.user["full_name"])

    @property
    def unit_id(self) -> str:
        return str(self.user["org_unit_id"])

    @property
    def tenant_id(self) -> str:
        return str(self.user["tenant_id"])

    @property
    def ctx(self) -> dict[str, str]:
        """What the gateway puts into the call context for this user."""
        return {
            "tenant_id": self.tenant_id,
            "user_id": self.id,
            "username": str(self.user["username"]),
            "roles": ",".join(sorted(str(r) for r in self.user["roles"])),
            "org_unit_id": self.unit_id,
            "client_ip": "10.1.2.3",
        }

    def call(self, method: str, **kwargs: Any) -> Any:
        return self.rpc.call("documents", method, context=self.ctx, **kwargs)


@dataclass
class Office:
    """One tenant's 省政府办公厅: a registry (文书处), two divisions and their people."""

    code: str
    tenant_id: str
    registry_id: str
    division_a: str  # 电子政务处
    division_b: str  # 综合处
    registrar: Person
    handler_a: Person
    head_a: Person
    handler_b: Person
    leader: Person  # 厅领导
    secretary: Person
    auditor: Person
    outsider: Person  # a handler of a division the documents are not sent to
    admin_ctx: dict[str, str]  # the tenant administrator's

    def hire(self, full_name: str, roles: list[str], unit_id: str) -> Person:
        """A new user of this tenant (made by its administrator in identity)."""
        return _new_person(self.registrar.rpc, self.admin_ctx, full_name, roles, unit_id)


def _new_person(
    rpc: SyncRpc, admin_ctx: dict[str, str], full_name: str, roles: list[str], unit_id: str
) -> Person:
    user = identity_call(
        rpc,
        admin_ctx,
        "create_user",
        user={
            "username": f"u{uuid.uuid4().hex[:8]}",
            "full_name": full_name,
            "password": PASSWORD,
            "org_unit_id": unit_id,
            "roles": roles,
        },
    )
    return Person(rpc, user)


def identity_call(rpc: SyncRpc, ctx: dict[str, str] | None, method: str, **kw: Any) -> Any:
    return rpc.call("identity", method, context=ctx, **kw)


def onboard(rpc: SyncRpc, admin_ctx: dict[str, str], code: str, name: str) -> Office:
    identity_call(
        rpc,
        admin_ctx,
        "create_tenant",
        tenant={
            "code": code,
            "name": name,
            "admin": {
                "username": f"{code}-admin",
                "full_name": f"{name}管理员",
                "password": PASSWORD,
            },
        },
    )
    tokens = identity_call(
        rpc,
        {"client_ip": "127.0.0.1"},
        "login",
        tenant=code,
        username=f"{code}-admin",
        password=PASSWORD,
    )
    tadmin = context_from_token(tokens["access_token"], "127.0.0.1")
    root = tadmin["org_unit_id"]

    def unit(unit_name: str) -> str:
        made = identity_call(
            rpc,
            tadmin,
            "create_org_unit",
            unit={"name": unit_name, "kind": "division", "parent_id": root},
        )
        return str(made["id"])

    registry, div_a, div_b, div_c = (
        unit("文书处"),
        unit("电子政务处"),
        unit("综合处"),
        unit("秘书处"),
    )

    def person(full_name: str, roles: list[str], unit_id: str) -> Person:
        return _new_person(rpc, tadmin, full_name, roles, unit_id)

    return Office(
        code=code,
        tenant_id=tadmin["tenant_id"],
        registry_id=registry,
        division_a=div_a,
        division_b=div_b,
        registrar=person("文书员小王", ["registrar"], registry),
        handler_a=person("承办人李明", ["handler"], div_a),
        head_a=person("处长张华", ["division_head"], div_a),
        handler_b=person("承办人赵敏", ["handler"], div_b),
        leader=person("厅领导陈刚", ["office_leader"], root),
        secretary=person("秘书刘洋", ["secretary"], root),
        auditor=person("审计员周静", ["auditor"], root),
        outsider=person("承办人孙悦", ["handler"], div_c),
        admin_ctx=tadmin,
    )


def a_document(**overrides: Any) -> dict[str, Any]:
    doc = {
        "title": "国务院办公厅关于加强政务数据共享的通知",
        "source_org": "国务院办公厅",
        "doc_number": f"国办发〔2026〕{uuid.uuid4().int % 1000}号",
        "received_date": "2026-11-20",
        "urgency": "加急",
        "secrecy": "非密",
        "page_count": 6,
    }
    doc.update(overrides)
    return doc


def chunks(data: bytes, size: int = 64 * 1024):
    for i in range(0, len(data), size):
        yield data[i : i + size]


def upload(s3, bucket, person, data: bytes, **kw):
    """What the gateway does with an upload: stream it into the tenant's staging area."""
    key = storage.staging_key(person.tenant_id, uuid.uuid4())
    size, sha256, content_type = storage.stream_to_staging(s3, bucket, key, chunks(data), **kw)
    return {"staging_key": key, "size": size, "sha256": sha256, "content_type": content_type}


def attach(person, document_id, staged, filename="扫描件.pdf"):
    return person.call(
        "attach_file", document_id=document_id, file={**staged, "filename": filename}
    )
