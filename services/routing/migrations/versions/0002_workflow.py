"""routing: templates, assignments, document summaries, workflow instances, tasks, urges,
read items; row-level security; the platform default incoming template

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import enable_tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB()

TENANT_TABLES = (
    "templates",
    "template_assignments",
    "document_summaries",
    "workflow_instances",
    "tasks",
    "urges",
    "read_items",
)

# The platform default incoming template of docs/incoming-flow.md, frozen here as
# data (tests check it equals services.routing.schemas.DEFAULT_INCOMING).
DEFAULT_TEMPLATE_ID = uuid.UUID("317e4d8b-7fb3-51e8-8ae3-969d3f2679aa")


def _step(key, name, roles, actions, limit, allow_return=True, allow_urge=True):
    return {
        "key": key,
        "name": name,
        "roles": roles,
        "actions": actions,
        "time_limit_days": limit,
        "allow_return": allow_return,
        "allow_urge": allow_urge,
        "allow_circulate": True,
    }


DEFAULT_INCOMING = {
    "code": "incoming-default",
    "name": "收文办理(默认流程)",
    "kind": "incoming",
    "first_step": "registry_distribute",
    "steps": [
        _step("registry_distribute", "分办", ["registrar"], {"distribute": "division_sign"}, None, allow_return=False),
        _step("division_sign", "处室签收", ["handler", "division_head"], {"sign": "propose", "return": "registry_distribute"}, 3),
        _step("propose", "拟办(承办节点)", ["handler"], {"propose": "division_review", "return": "division_sign"}, 3),
        _step("division_review", "处室审核节点", ["division_head"], {"approve": "leader_instruction", "return": "propose"}, 3),
        _step("leader_instruction", "领导批示", ["gov_leader", "office_leader"], {"instruct": "handle", "return": "division_review"}, 3),
        _step("handle", "办理", ["handler"], {"handle": "registry_complete"}, 3, allow_return=False),
        _step("registry_complete", "办结", ["registrar"], {"complete": None, "return": "handle"}, None),
        _step("registry_archive", "归档", ["registrar"], {"archive": None}, None, allow_return=False, allow_urge=False),
    ],
}


def upgrade() -> None:
    op.create_table(
        "templates",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=True, comment="NULL: the platform's default"),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", JSONB, nullable=False, comment="TemplateDef as JSON"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID, nullable=True),
        sa.CheckConstraint("kind IN ('incoming', 'outgoing')", name="ck_templates_kind"),
        sa.CheckConstraint("version >= 1", name="ck_templates_version"),
    )
    op.create_index(
        "uq_templates_code_version",
        "templates",
        [sa.text("COALESCE(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid)"), "code", "version"],
        unique=True,
    )

    op.create_table(
        "template_assignments",
        sa.Column("tenant_id", UUID, primary_key=True),
        sa.Column("unit_id", UUID, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("template_id", UUID, sa.ForeignKey("templates.id"), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("assigned_by", UUID, nullable=True),
    )
    op.create_index("ix_template_assignments_template", "template_assignments", ["template_id"])

    op.create_table(
        "document_summaries",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("doc_number", sa.String(100), nullable=True),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("registry_unit_id", UUID, nullable=False),
        sa.Column("registered_by", UUID, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, comment="registered|distributed|completed|archived"),
        sa.Column("lead_unit_id", UUID, nullable=True),
        sa.Column("is_leader_instruction", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("distributed_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("archived_at", TS, nullable=True),
    )

    op.create_table(
        "workflow_instances",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("document_id", UUID, sa.ForeignKey("document_summaries.id"), nullable=False),
        sa.Column("template_id", UUID, sa.ForeignKey("templates.id"), nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("role_in_document", sa.String(16), nullable=False, comment="registry|lead|assisting"),
        sa.Column("status", sa.String(16), nullable=False, comment="active|completed|returned|cancelled|archived"),
        sa.Column("handler_id", UUID, nullable=True, comment="承办人, once someone signed"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("completed_at", TS, nullable=True),
    )
    op.create_index("ix_workflow_instances_document", "workflow_instances", ["document_id"])
    op.create_index(
        "uq_workflow_instances_registry", "workflow_instances", ["document_id"], unique=True,
        postgresql_where=sa.text("role_in_document = 'registry'"),
    )
    op.create_index(
        "uq_workflow_instances_active_branch", "workflow_instances", ["document_id", "unit_id"], unique=True,
        postgresql_where=sa.text("role_in_document <> 'registry' AND status = 'active'"),
    )

    op.create_table(
        "tasks",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False, unique=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("document_id", UUID, sa.ForeignKey("document_summaries.id"), nullable=False),
        sa.Column("instance_id", UUID, sa.ForeignKey("workflow_instances.id"), nullable=False),
        sa.Column("template_id", UUID, sa.ForeignKey("templates.id"), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("step_name", sa.String(50), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.Text()), nullable=False, comment="roles of the step"),
        sa.Column("unit_id", UUID, nullable=True),
        sa.Column("assignee_id", UUID, nullable=True, comment="NULL: pooled to the unit"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("role_in_document", sa.String(16), nullable=False),
        sa.Column("urgency_rank", sa.SmallInteger(), nullable=False, comment="0 特急, 1 加急, 2 平件"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("previous_task_id", UUID, nullable=True, comment="the task whose action created this one"),
        sa.Column("completed_at", TS, nullable=True),
        sa.Column("completed_by", UUID, nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("on_behalf_of_id", UUID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.CheckConstraint(
            "status IN ('open', 'done', 'returned', 'cancelled')", name="ck_tasks_status"
        ),
    )
    op.create_index(
        "ix_tasks_open_assignee", "tasks",
        ["tenant_id", "assignee_id", "urgency_rank", sa.text("created_at DESC"), "id"],
        postgresql_where=sa.text("status = 'open' AND assignee_id IS NOT NULL"),
    )
    op.create_index(
        "ix_tasks_open_pool", "tasks",
        ["tenant_id", "unit_id", "urgency_rank", sa.text("created_at DESC"), "id"],
        postgresql_include=["roles"],
        postgresql_where=sa.text("status = 'open' AND assignee_id IS NULL"),
    )
    op.create_index(
        "ix_tasks_done", "tasks",
        ["tenant_id", "completed_by", sa.text("completed_at DESC"), "id"],
        postgresql_where=sa.text("completed_by IS NOT NULL"),
    )
    op.create_index("ix_tasks_document", "tasks", ["document_id", "seq"])
    op.create_index("ix_tasks_instance_step", "tasks", ["instance_id", "step"])

    op.create_table(
        "urges",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("task_id", UUID, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("document_id", UUID, nullable=False),
        sa.Column("urged_by", UUID, nullable=False),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("urged_at", TS, nullable=False),
    )
    op.create_index("ix_urges_task", "urges", ["task_id"])

    op.create_table(
        "read_items",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("document_id", UUID, sa.ForeignKey("document_summaries.id"), nullable=False),
        sa.Column("recipient_id", UUID, nullable=False),
        sa.Column("sent_by", UUID, nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("read_at", TS, nullable=True),
    )
    op.create_index(
        "uq_read_items_document_recipient", "read_items", ["document_id", "recipient_id"], unique=True
    )
    op.create_index(
        "ix_read_items_recipient", "read_items",
        ["tenant_id", "recipient_id", sa.text("(read_at IS NOT NULL)"), sa.text("sent_at DESC"), "id"],
    )

    for table in TENANT_TABLES:
        for statement in enable_tenant_rls(table):
            op.execute(statement)
    # Platform templates (tenant_id NULL) are read by every tenant, written by none.
    op.execute(
        "CREATE POLICY platform_templates_readable ON templates FOR SELECT USING (tenant_id IS NULL)"
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
                "id": DEFAULT_TEMPLATE_ID,
                "tenant_id": None,
                "code": DEFAULT_INCOMING["code"],
                "name": DEFAULT_INCOMING["name"],
                "kind": DEFAULT_INCOMING["kind"],
                "version": 1,
                "definition": DEFAULT_INCOMING,
                "created_at": dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                "created_by": None,
            }
        ],
    )


def downgrade() -> None:
    for table in ("read_items", "urges", "tasks", "workflow_instances", "document_summaries",
                  "template_assignments", "templates"):
        op.drop_table(table)
