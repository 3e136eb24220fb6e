"""Tenants, org units and people made through identity's RPC methods, for the service
test suites that run without the gateway (routing, notify): :class:`Org` onboards a
tenant with its registry (文书处), leaders and a secretary, and makes divisions (处室)
with their handlers and head on demand."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.stacks import SyncRpc

PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class Person:
    id: str
    tenant_id: str
    unit_id: str
    roles: tuple[str, ...]
    name: str

    def ctx(self, **extra: str) -> dict[str, str]:
        """The call context the gateway would send for this person."""
        return {
            "tenant_id": self.tenant_id,
            "user_id": self.id,
            "username": self.name,
            "roles": ",".join(self.roles),
            "org_unit_id": self.unit_id,
            **extra,
        }


@dataclass
class Division:
    """A division (处室) with two handlers and a head; with ``Org(full_divisions=True)``
    also a handler in a section below it and a deactivated handler, who hold none of
    its pooled tasks."""

    id: str
    handler: Person
    handler2: Person
    head: Person
    section_handler: Person | None = None
    gone: Person | None = None

    @property
    def holders(self) -> set[str]:
        """Who holds the division's pooled tasks."""
        return {self.handler.id, self.handler2.id, self.head.id}


@dataclass
class Org:
    """One tenant: a registry (文书处), leaders, a secretary, and divisions on demand."""

    rpc: SyncRpc
    code: str
    label: str = "测试"
    full_divisions: bool = False
    tenant_id: str = ""
    root_id: str = ""
    admin: dict[str, str] = field(default_factory=dict)
    registry_id: str = ""
    registrar: Person | None = None
    office_leader: Person | None = None
    gov_leader: Person | None = None
    secretary: Person | None = None

    def setup(self) -> Org:
        platform = {"user_id": str(uuid.uuid4()), "roles": "platform_admin"}
        tenant = self.rpc.call(
            "identity",
            "create_tenant",
            context=platform,
            tenant={
                "code": self.code,
                "name": f"{self.label}{self.code}",
                "admin": {"username": "admin", "full_name": "管理员", "password": PASSWORD},
            },
        )
        self.tenant_id = tenant["id"]
        self.admin = {
            "tenant_id": self.tenant_id,
            "user_id": str(uuid.uuid4()),
            "roles": "tenant_admin",
        }
        units = self.rpc.call("identity", "list_org_units", context=self.admin)
        self.root_id = next(u["id"] for u in units if u["parent_id"] is None)
        self.admin["org_unit_id"] = self.root_id
        self.registry_id = self.unit("文书处")
        self.registrar = self.person(self.registry_id, "registrar")
        self.office_leader = self.person(self.root_id, "office_leader")
        self.gov_leader = self.person(self.root_id, "gov_leader")
        self.secretary = self.person(self.root_id, "secretary")
        return self

    def unit(self, name: str, kind: str = "division", parent: str | None = None) -> str:
        unit = self.rpc.call(
            "identity",
            "create_org_unit",
            context=self.admin,
            unit={"name": name, "kind": kind, "parent_id": parent or self.root_id},
        )
        return str(unit["id"])

    def person(self, unit_id: str, *roles: str) -> Person:
        username = f"u{uuid.uuid4().hex[:10]}"
        user = self.rpc.call(
            "identity",
            "create_user",
            context=self.admin,
            user={
                "username": username,
                "full_name": f"{roles[0]}-{username[-4:]}",
                "password": PASSWORD,
                "org_unit_id": unit_id,
                "roles": list(roles),
            },
        )
        return Person(user["id"], self.tenant_id, unit_id, tuple(roles), username)

    def division(self, name: str | None = None) -> Division:
        unit_id = self.unit(name or f"处室{uuid.uuid4().hex[:6]}")
        section_handler = gone = None
        if self.full_divisions:
            section = self.unit(f"科{uuid.uuid4().hex[:6]}", "section", unit_id)
            gone = self.person(unit_id, "handler")
            self.rpc.call("identity", "deactivate_user", context=self.admin, user_id=gone.id)
            section_handler = self.person(section, "handler")
        return Division(
            id=unit_id,
            handler=self.person(unit_id, "handler"),
            handler2=self.person(unit_id, "handler"),
            head=self.person(unit_id, "division_head"),
            section_handler=section_handler,
            gone=gone,
        )

    def delegate(self, leader: Person, secretary: Person) -> dict[str, Any]:
        """授权: ``secretary`` enters instructions for ``leader`` for the next two hours."""
        now = dt.datetime.now(dt.UTC)
        result: dict[str, Any] = self.rpc.call(
            "identity",
            "create_delegation",
            context=leader.ctx(),
            delegation={
                "secretary_id": secretary.id,
                "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
            },
        )
        return result
