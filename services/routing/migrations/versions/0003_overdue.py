"""routing: calendars as data (national years, tenant overrides, a projection of the
tenant tree, a version counter), what a task needs to recompute its deadline, reminders
and overdue marks with their partial indexes, routing's own audit trail, the test clock

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrate import TENANT_SETTING, append_only_trigger, enable_tenant_rls
from services.routing.working_days import known_years, national_schedule_from_chinese_calendar

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
SEEDED_AT = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


def upgrade() -> None:
    # -- national schedules: one row per published year; a year without a row is provisional
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("holidays", postgresql.ARRAY(sa.Date()), nullable=False, server_default="{}"),
        sa.Column("workdays", postgresql.ARRAY(sa.Date()), nullable=False, server_default="{}"),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("published_by", UUID, nullable=True),
        sa.CheckConstraint("year BETWEEN 1900 AND 2200", name="ck_calendar_years_year"),
    )
    years = sa.table(
        "calendar_years",
        sa.column("year", sa.Integer),
        sa.column("holidays", postgresql.ARRAY(sa.Date())),
        sa.column("workdays", postgresql.ARRAY(sa.Date())),
        sa.column("note", sa.String),
        sa.column("published_at", TS),
        sa.column("published_by", UUID),
    )
    rows = []
    for year in known_years():
        schedule = national_schedule_from_chinese_calendar(year)
        rows.append(
            {
                "year": year,
                "holidays": sorted(schedule.holidays),
                "workdays": sorted(schedule.workdays),
                "note": "chinese_calendar",
                "published_at": SEEDED_AT,
                "published_by": None,
            }
        )
    op.bulk_insert(years, rows)

    # -- one counter that changes with every calendar change (process caches compare it)
    op.execute("CREATE SEQUENCE calendar_version_seq")
    op.create_table(
        "calendar_state",
        sa.Column("id", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("id = 1", name="ck_calendar_state_one_row"),
    )
    op.execute("INSERT INTO calendar_state (id, version) VALUES (1, nextval('calendar_version_seq'))")

    # -- the tenant tree as identity announces it (tenant.created)
    op.create_table(
        "tenant_nodes",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("parent_id", UUID, nullable=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False, comment="tenant codes from the root, gz/gz-qdn"),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("uq_tenant_nodes_path", "tenant_nodes", ["path"], unique=True)
    op.create_index(
        "ix_tenant_nodes_path_prefix", "tenant_nodes", ["path"],
        postgresql_ops={"path": "text_pattern_ops"},
    )

    # -- local days off / working days of a tenant, inherited down the tree
    op.create_table(
        "calendar_overrides",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID, nullable=True),
        sa.CheckConstraint("kind IN ('day_off', 'working_day')", name="ck_calendar_overrides_kind"),
        sa.UniqueConstraint("tenant_id", "day", name="uq_calendar_overrides_tenant_day"),
    )
    for statement in enable_tenant_rls("calendar_overrides"):
        op.execute(statement)
    # A tenant also reads the overrides of its ancestors: they are part of its calendar.
    op.execute(
        "CREATE POLICY inherited_overrides ON calendar_overrides FOR SELECT USING ("
        " EXISTS (SELECT 1 FROM tenant_nodes me JOIN tenant_nodes anc"
        "   ON anc.id = calendar_overrides.tenant_id"
        f" WHERE me.id = {TENANT_SETTING}"
        "   AND left(me.path, length(anc.path) + 1) = anc.path || '/'))"
    )

    # -- tasks: how to recompute the deadline; reminders and overdue marks
    op.add_column("tasks", sa.Column("due_rule", sa.String(16), nullable=True,
                                     comment="distribution | step (NULL: no time limit)"))
    op.add_column("tasks", sa.Column("due_days", sa.SmallInteger(), nullable=True,
                                     comment="working days of the time limit"))
    op.add_column("tasks", sa.Column("remind_at", TS, nullable=True))
    op.add_column("tasks", sa.Column("reminded_at", TS, nullable=True))
    op.add_column("tasks", sa.Column("overdue_at", TS, nullable=True,
                                     comment="= due_at, set once the task is past due"))
    op.add_column("tasks", sa.Column("overdue_unit_id", UUID, nullable=True))
    op.add_column("tasks", sa.Column("overdue_user_id", UUID, nullable=True))
    op.create_check_constraint(
        "ck_tasks_due_rule", "tasks", "due_rule IS NULL OR due_rule IN ('distribution', 'step')"
    )
    # Tasks opened before this revision: the rule and limit from their template's step;
    # the reminder at 09:00 Shanghai of the last working day (due_at is 24:00 of it).
    op.execute(
        """
        UPDATE tasks t SET
          due_rule = CASE WHEN t.step = (SELECT s->'actions'->>'distribute'
                                         FROM jsonb_array_elements(tp.definition->'steps') s
                                         WHERE s->>'key' = tp.definition->>'first_step')
                     THEN 'distribution' ELSE 'step' END,
          due_days = COALESCE((SELECT (s->>'time_limit_days')::int
                               FROM jsonb_array_elements(tp.definition->'steps') s
                               WHERE s->>'key' = t.step), 3),
          remind_at = CASE WHEN t.status = 'open' THEN t.due_at - interval '15 hours' END
        FROM templates tp
        WHERE tp.id = t.template_id AND t.due_at IS NOT NULL
        """
    )
    # Work finished late before this revision keeps its red flag as data.
    op.execute(
        """
        UPDATE tasks SET overdue_at = due_at, overdue_unit_id = unit_id, overdue_user_id = assignee_id
        WHERE due_at IS NOT NULL AND status IN ('done', 'returned') AND completed_at > due_at
        """
    )
    op.create_index(
        "ix_tasks_overdue_scan", "tasks", ["due_at"],
        postgresql_where=sa.text("status = 'open' AND overdue_at IS NULL AND due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_tasks_reminder_scan", "tasks", ["remind_at"],
        postgresql_where=sa.text(
            "status = 'open' AND reminded_at IS NULL AND overdue_at IS NULL AND remind_at IS NOT NULL"
        ),
    )
    op.create_index(
        "ix_tasks_tenant_due", "tasks", ["tenant_id", "due_at"],
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )

    # -- routing's own audit trail (calendar changes), hash-chained per tenant
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", UUID, nullable=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("actor_id", UUID, nullable=True),
        sa.Column("on_behalf_of", UUID, nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(100), nullable=True),
        sa.Column("before", postgresql.JSONB(), nullable=True),
        sa.Column("after", postgresql.JSONB(), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_tenant_id_id", "audit_log", ["tenant_id", "id"])
    for statement in [*enable_tenant_rls("audit_log"), *append_only_trigger("audit_log")]:
        op.execute(statement)

    # -- the instant tests set (honoured only when GONGWEN_ENV=test)
    op.create_table(
        "test_clock",
        sa.Column("id", sa.SmallInteger(), primary_key=True, autoincrement=False),
        sa.Column("now", TS, nullable=True),
        sa.Column("set_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("id = 1", name="ck_test_clock_one_row"),
    )


def downgrade() -> None:
    op.drop_table("test_clock")
    op.execute("DROP TABLE IF EXISTS audit_log")
    op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for index in ("ix_tasks_tenant_due", "ix_tasks_reminder_scan", "ix_tasks_overdue_scan"):
        op.drop_index(index, table_name="tasks")
    op.drop_constraint("ck_tasks_due_rule", "tasks")
    for column in ("overdue_user_id", "overdue_unit_id", "overdue_at", "reminded_at",
                   "remind_at", "due_days", "due_rule"):
        op.drop_column("tasks", column)
    op.drop_table("calendar_overrides")
    op.drop_table("tenant_nodes")
    op.drop_table("calendar_state")
    op.execute("DROP SEQUENCE IF EXISTS calendar_version_seq")
    op.drop_table("calendar_years")
