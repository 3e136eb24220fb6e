"""Tables of the identity service: tenants, org tree, users, delegations, signing keys,
the audit trail and the outbox.

Every tenant table has row-level security (see the migration); ``tenants`` is
keyed on its own ``id``. Trees are materialised paths so that a subtree is one
indexed prefix query:

- ``tenants.path``: tenant codes from the root, joined by ``/`` (``gz/gz-gy``);
- ``org_units.path``: ids from the root, each followed by ``/`` (``/id1/id2/``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.audit import audit_table
from services.common.events import outbox_tables
from services.common.orm import one_of, service_registry
from services.common.vocabulary import OrgUnitKind, utcnow


class Base(DeclarativeBase):
    registry = service_registry()


OUTBOX, PROCESSED_EVENTS = outbox_tables(Base.metadata)
AUDIT_LOG = audit_table(Base.metadata)

#: Read by services.common.migrate: the app role may only INSERT and SELECT these.
APPEND_ONLY_TABLES = ("audit_log",)


class SigningKey(Base):
    """An Ed25519 key that signs access tokens; its public half is published as a JWK."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Tenant(Base):
    """A province, city or county that uses the platform (租户)."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"))
    path: Mapped[str] = mapped_column(Text)
    depth: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("path", name="uq_tenants_path"),
        Index("ix_tenants_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )


class OrgUnit(Base):
    """A unit (单位), division (处室) or section (科室) of a tenant's org tree."""

    __tablename__ = "org_units"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_units.id"))
    path: Mapped[str] = mapped_column(Text)
    depth: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "parent_id",
            "name",
            name="uq_org_units_sibling_name",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_org_units_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
        Index("ix_org_units_tenant_parent", "tenant_id", "parent_id"),
        Index(
            "uq_org_units_code",
            "tenant_id",
            "code",
            unique=True,
            postgresql_where=text("code IS NOT NULL"),
        ),
        CheckConstraint(one_of("kind", OrgUnitKind), name="ck_org_units_kind"),
    )


class User(Base):
    """A civil servant of a tenant (or, with no tenant, the platform administrator)."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tenants.id"))
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(Text)
    org_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("org_units.id"))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "tenant_id",
            "username",
            name="uq_users_tenant_username",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_users_tenant_org_unit", "tenant_id", "org_unit_id"),
        Index("ix_users_roles", "roles", postgresql_using="gin"),
    )


class Delegation(Base):
    """授权: a leader lets a secretary enter instructions on the leader's behalf."""

    __tablename__ = "delegations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    leader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    secretary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    scope: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ck_delegations_window"),
        Index("ix_delegations_leader", "tenant_id", "leader_id"),
        Index("ix_delegations_secretary", "tenant_id", "secretary_id"),
    )
