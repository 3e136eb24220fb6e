"""routing: outgoing documents (发文) — the document's kind, the signing leader and the
countersigning queue of a route, and the platform default outgoing template

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB()

# a fixed id: version 1 of the platform default outgoing template
OUTGOING_TEMPLATE_ID = uuid.UUID("9d0f6a57-3f0e-5b8c-9a43-5f3c6f0e2b11")


def _step(key, name, roles, actions, limit, allow_return=True, allow_urge=True, mode="parallel"):
    return {
        "key": key,
        "name": name,
        "roles": roles,
        "actions": actions,
        "time_limit_days": limit,
        "allow_return": allow_return,
        "allow_urge": allow_urge,
        "allow_circulate": True,
        "countersign_mode": mode,
    }


# frozen here as data (tests check it equals services.routing.schemas.DEFAULT_OUTGOING)
DEFAULT_OUTGOING = {
    "code": "outgoing-default",
    "name": "发文办理(默认流程)",
    "kind": "outgoing",
    "first_step": "draft",
    "steps": [
        _step("draft", "拟稿", ["handler"], {"submit": "check"}, None, allow_return=False),
        _step("check", "核稿", ["division_head"], {"check": "countersign", "return": "draft"}, 3),
        _step("countersign", "会签", ["division_head"], {"countersign": "issue", "return": "draft"}, 3),
        _step("issue", "签发", ["gov_leader", "office_leader"], {"issue": "number", "return": "check"}, 3),
        _step("number", "编号", ["registrar"], {"number": "seal", "return": "issue"}, 1),
        _step("seal", "用印", ["registrar"], {"seal": "dispatch"}, 1, allow_return=False),
        _step("dispatch", "分发", ["registrar"], {"dispatch": "archive"}, 1, allow_return=False),
        _step("archive", "归档", ["registrar"], {"archive": None}, None, allow_return=False, allow_urge=False),
    ],
}


def upgrade() -> None:
    op.add_column(
        "document_summaries",
        sa.Column("kind", sa.String(16), nullable=False, server_default="incoming"),
    )
    op.add_column("workflow_instances", sa.Column("signer_id", UUID, nullable=True))
    op.add_column(
        "workflow_instances",
        sa.Column(
            "countersign_queue",
            postgresql.ARRAY(UUID),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
    )
    templates = sa.table(
        "templates",
        sa.column("id", UUID),
        sa.column("tenant_id", UUID),
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("version", sa.Integer),
        sa.column("definition", JSONB),
        sa.column("created_at", TS),
        sa.column("created_by", UUID),
    )
    op.bulk_insert(
        templates,
        [
            {
                "id": OUTGOING_TEMPLATE_ID,
                "tenant_id": None,
                "code": DEFAULT_OUTGOING["code"],
                "name": DEFAULT_OUTGOING["name"],
                "kind": DEFAULT_OUTGOING["kind"],
                "version": 1,
                "definition": DEFAULT_OUTGOING,
                "created_at": dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
                "created_by": None,
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM templates WHERE id = :id").bindparams(id=OUTGOING_TEMPLATE_ID))
    op.drop_column("workflow_instances", "countersign_queue")
    op.drop_column("workflow_instances", "signer_id")
    op.drop_column("document_summaries", "kind")
