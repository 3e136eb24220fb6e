"""Seed a routing database with a large, plausible task history (for ``bench.todo``),
or with open tasks only (:func:`seed_open`, for ``bench.overdue``).

Everything is generated inside PostgreSQL (``INSERT … SELECT`` over
``generate_series``), as the admin role, directly into the routing database of
the benchmark's own stack; nothing is cached between runs.

The history
-----------
About three years of incoming documents of one tenant, newest last. Each
document follows the platform's default template (steps, names, roles and
time limits are read from :data:`services.routing.schemas.DEFAULT_INCOMING`):
分办 in the registry, then in the lead division 签收 (pooled to the division),
拟办 (the handler), 审核 (pooled to the division heads), 批示 (a leader; 60 %
of documents), 办理 (the handler), then 办结 and 归档 back in the registry. So
a finished document has 7 or 8 tasks, all done.

Documents still in flight have a prefix of those tasks, the last one open: most
documents of the last 30 days (the newer, the likelier), and 2 % of older ones
(stuck: the overdue backlog). That makes ~3.5 % of documents in flight and
well under 1 % of tasks open; the rest are done. Most documents move a step in
hours, a few take days a step: ~2 % of the done tasks were finished late.

People (``users``, 2,000 by default): 20 leaders (厅领导), 20 registrars
(文书处) and 40 business divisions of 49 people (2 division heads, 47
handlers). Division 0 is the busiest (10 % of all documents; the others share
the rest), and inside a division work goes to handlers unevenly (the first
handler gets ~15 %). A few user indexes are real users of the tenant (created
through the gateway); the others are ids nobody can sign in as.

Deadlines are the real ones: the due time and reminder time of a task opened
on a given Shanghai day are computed with :func:`services.routing.deadlines.compute`
on the national calendar, once per day of the span and time limit; each task
keeps its rule and limit (``due_rule``, ``due_days``). The rows are as the
overdue/reminder scanner leaves them (steady state): tasks that were open at
their reminder time are reminded (``reminded_at``), tasks open past their due
time, or finished after it, are marked overdue (``overdue_at`` and who held
them), so the scanner of the stack finds nothing to do during the measurement.

Loading: the task table's secondary indexes (not the primary key and unique
constraints) are dropped and rebuilt from their own definitions after the
insert, and foreign-key triggers are skipped for the session
(``session_replication_role = replica``; the rows are consistent by
construction). Then ``VACUUM ANALYZE``.

Open tasks only
---------------
:func:`seed_open` seeds a registry at one instant: N open tasks, one per
document in flight (its registry instance and, once distributed, its lead
division's branch), no history. The tasks are shared among *due bands* (a
whole per cent each: e.g. "due before the coming midnight", "due in a year
not yet published", "no time limit"): each task draws a start day of the last
months (working days far likelier) and a time limit (the distribution rule's
3 days, the steps' 3, and the longer limits template owners set for 办理, up to
60 working days) among those whose real deadline falls in its band. Deadlines
and reminders are computed with the calendar routing uses (its
``calendar_years`` table); the rows are as the scanner leaves them at that
instant. Loading as above, the secondary indexes of the three tables dropped
and rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from services.common.vocabulary import SHANGHAI
from services.routing.deadlines import DISTRIBUTION, STEP, Rule, compute, tenant_calendar
from services.routing.schemas import DEFAULT_INCOMING
from services.routing.templates import DEFAULT_TEMPLATE_ID, step_roles
from services.routing.working_days import (
    WorkingDayCalendar,
    YearSchedule,
    effective_calendar,
)

# -- the people ------------------------------------------------------------------------------

LEADERS = 20
REGISTRARS = 20
DIVISIONS = 40
HEADS_PER_DIVISION = 2


def per_division(users: int) -> int:
    return (users - LEADERS - REGISTRARS) // DIVISIONS


def leader_index(i: int) -> int:
    return i


def registrar_index(i: int) -> int:
    return LEADERS + i


def division_user_index(users: int, division: int, j: int) -> int:
    """The ``j``-th person of a division (0, 1: division heads; then handlers)."""
    return LEADERS + REGISTRARS + division * per_division(users) + j


def busiest_handler(users: int) -> int:
    """The first handler of division 0: the user with the longest to-do list."""
    return division_user_index(users, 0, HEADS_PER_DIVISION)


# -- the steps of the default template, in order ----------------------------------------------

# step key -> (who holds it: "registry" pooled | "division" pooled | "handler" | "leader",
#              who acted when it is done, the opinion written)
_STEP_PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "registry_distribute": ("registry", "registrar", None),
    "division_sign": ("division", "handler", None),
    "propose": ("handler", "handler", "拟请分管领导阅示，由我处会同相关单位研究办理。"),
    "division_review": ("division", "head", "同意拟办意见。"),
    "leader_instruction": ("leader", "leader", "请按职责认真研究办理，并及时报告结果。"),
    "handle": ("handler", "handler", "已按领导批示办理完毕，相关情况已报送。"),
    "registry_complete": ("registry", "registrar", None),
    "registry_archive": ("registry", "registrar", None),
}
LEADER_STEP = 4  # index of leader_instruction: skipped by documents without 批示

TOPICS = (
    "做好2026年冬春季森林防灭火工作",
    "进一步加强安全生产监督管理",
    "开展营商环境专项督查",
    "报送年度重点工作完成情况",
    "做好防汛抗旱准备工作",
    "推进数字政府建设",
    "加强和改进信访工作",
    "开展耕地保护专项检查",
    "组织召开全省乡村振兴工作会议",
    "规范政务公开工作",
    "做好重要节日期间市场供应",
    "开展公文处理工作培训",
)


def steps_rows() -> list[tuple[Any, ...]]:
    """(step_no, key, name, roles, held_by, acted_by, action, opinion, rule, days) per step."""
    rows = []
    first = next(s for s in DEFAULT_INCOMING.steps if s.key == DEFAULT_INCOMING.first_step)
    distribution_target = first.actions.get("distribute")
    for no, step in enumerate(DEFAULT_INCOMING.steps):
        held_by, acted_by, opinion = _STEP_PEOPLE[step.key]
        action = next((a for a in step.actions if a != "return"), None)
        days = step.time_limit_days
        rule = None if days is None else DISTRIBUTION if step.key == distribution_target else STEP
        rows.append(
            (
                no,
                step.key,
                step.name,
                step_roles(step),
                held_by,
                acted_by,
                action,
                opinion,
                rule,
                days,
            )
        )
    if [r[1] for r in rows] != list(_STEP_PEOPLE):
        raise RuntimeError("the default template's steps changed; update bench/seed_tasks.py")
    return rows


# -- what the seed needs and tells -------------------------------------------------------------


@dataclass(frozen=True)
class SeedOrg:
    """The tenant the rows belong to: real ids where the tenant has them."""

    tenant_id: uuid.UUID
    top_unit_id: uuid.UUID
    registry_unit_id: uuid.UUID
    division_ids: tuple[uuid.UUID, ...]  # DIVISIONS of them
    real_users: dict[int, uuid.UUID] = field(default_factory=dict)  # user index -> id

    def user_id(self, index: int) -> uuid.UUID:
        """The id a user index has in the seeded rows."""
        real = self.real_users.get(index)
        if real is not None:
            return real
        return uuid.UUID(hashlib.md5(f"gongwen-bench-user:{index}".encode()).hexdigest())


@dataclass
class SeedReport:
    tasks: int = 0
    open_tasks: int = 0
    documents: int = 0
    instances: int = 0
    users: int = 0
    span_days: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    bands: dict[str, int] = field(default_factory=dict)  # seed_open: tasks per due band

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tasks": self.tasks,
            "open_tasks": self.open_tasks,
            "documents": self.documents,
            "workflow_instances": self.instances,
            "users": self.users,
            "span_days": self.span_days,
            "seconds": round(self.seconds, 1),
            "phases_seconds": {k: round(v, 1) for k, v in self.phases.items()},
        }
        if self.bands:
            out["bands"] = dict(self.bands)
        return out


# -- SQL -----------------------------------------------------------------------------------------

# One row per document: who works on it, how far it got. ``k`` ascends with time.
_DOCS = """
CREATE TEMP TABLE seed_docs AS
WITH g AS (
    SELECT k,
           %(start)s::timestamptz
             + ((k + (abs(hashint8extended(k, 11)) %% 1000) / 1000.0) * %(step_s)s)
               * interval '1 second' AS created_at,
           abs(hashint8extended(k, 1)) %% 100 AS r_urgency,
           abs(hashint8extended(k, 2)) %% 100 AS r_busy,
           abs(hashint8extended(k, 3)) %% (%(divisions)s - 1) AS r_division,
           (abs(hashint8extended(k, 4)) %% 10000) / 10000.0 AS r_handler,
           abs(hashint8extended(k, 5)) %% %(heads)s AS r_head,
           abs(hashint8extended(k, 6)) %% %(leaders)s AS r_leader,
           abs(hashint8extended(k, 7)) %% %(registrars)s AS r_registrar,
           abs(hashint8extended(k, 8)) %% 100 AS r_has_leader,
           abs(hashint8extended(k, 9)) %% 1000 AS r_flight,
           abs(hashint8extended(k, 10)) %% 1000 AS r_stage
    FROM generate_series(0, %(documents)s - 1) AS k
), h AS (
    SELECT g.*,
           CASE WHEN r_busy < 10 THEN 0 ELSE 1 + r_division END AS division,
           r_has_leader < 60 AS has_leader,
           extract(epoch FROM %(now)s::timestamptz - created_at) / 86400.0 AS age_days
    FROM g
), f AS (
    SELECT h.*,
           CASE WHEN has_leader THEN 8 ELSE 7 END AS n_full,
           (age_days < 30 AND r_flight < 1000 * (1 - age_days / 30)) OR r_flight < 20
             AS in_flight
    FROM h
)
SELECT k,
       md5('gongwen-bench-doc:' || k)::uuid AS id,
       md5('gongwen-bench-registry:' || k)::uuid AS registry_instance_id,
       md5('gongwen-bench-branch:' || k)::uuid AS branch_instance_id,
       created_at,
       CASE WHEN r_urgency < 5 THEN 0 WHEN r_urgency < 20 THEN 1 ELSE 2 END::smallint
         AS urgency_rank,
       division,
       %(first_user)s + division * %(per_division)s + %(heads)s
         + floor((%(per_division)s - %(heads)s) * r_handler * r_handler)::int AS handler_u,
       %(first_user)s + division * %(per_division)s + r_head AS head_u,
       r_leader AS leader_u,
       %(leaders)s + r_registrar AS registrar_u,
       has_leader,
       n_full,
       CASE WHEN in_flight THEN 1 + r_stage %% (n_full - 1) ELSE n_full END AS n_present,
       k %% 5 = 0 AND has_leader AS leader_instruction_doc
FROM f
"""

# Drop the oldest documents beyond ``tasks`` tasks (counted newest first); the
# oldest kept document keeps only as many tasks as are left (then in flight).
_TRIM = """
WITH c AS (
    SELECT k, n_present, sum(n_present) OVER (ORDER BY k DESC) AS cum FROM seed_docs
)
DELETE FROM seed_docs d USING c WHERE d.k = c.k AND c.cum - c.n_present >= %(tasks)s;
UPDATE seed_docs d SET n_present = d.n_present - (c.cum - %(tasks)s)
FROM (SELECT k, sum(n_present) OVER (ORDER BY k DESC) AS cum FROM seed_docs) c
WHERE d.k = c.k AND c.cum > %(tasks)s;
"""

# Ids, the time between steps and the document's state, once per document.
_DOCS_FINISH = """
ALTER TABLE seed_docs
    ADD COLUMN division_id uuid, ADD COLUMN handler_id uuid, ADD COLUMN head_id uuid,
    ADD COLUMN leader_id uuid, ADD COLUMN registrar_id uuid, ADD COLUMN gap interval,
    ADD COLUMN finished boolean;
UPDATE seed_docs d SET
    division_id = dv.id, handler_id = hu.id, head_id = he.id, leader_id = le.id,
    registrar_id = re.id,
    finished = d.n_present = d.n_full,
    -- most documents move a step in hours, a few take days (then steps finish late)
    gap = least(
        interval '18 hours' * (0.25 + 6 * power((abs(hashint8extended(d.k, 12)) %% 1000) / 1000.0, 4)),
        (%(now)s::timestamptz - d.created_at) / (d.n_full + 1)
    )
FROM seed_divisions dv, seed_users hu, seed_users he, seed_users le, seed_users re
WHERE dv.d = d.division AND hu.u = d.handler_u AND he.u = d.head_u
  AND le.u = d.leader_u AND re.u = d.registrar_u;
"""

_SUMMARIES = """
INSERT INTO document_summaries (
    id, tenant_id, title, doc_number, urgency, registry_unit_id, registered_by, status,
    lead_unit_id, is_leader_instruction, created_at, distributed_at, completed_at, archived_at)
SELECT d.id, %(tenant)s::uuid,
       '关于' || (%(topics)s::text[])[1 + d.k %% cardinality(%(topics)s::text[])]
         || '的通知（第' || d.k || '号）',
       '黔府办函〔' || extract(year FROM d.created_at)::int || '〕' || (1 + d.k %% 997) || '号',
       (ARRAY['extra_urgent', 'urgent', 'normal'])[d.urgency_rank + 1],
       %(registry)s::uuid, d.registrar_id,
       CASE WHEN d.finished THEN 'archived' WHEN d.n_present >= 2 THEN 'distributed'
            ELSE 'registered' END,
       CASE WHEN d.n_present >= 2 THEN d.division_id END,
       d.leader_instruction_doc,
       d.created_at,
       CASE WHEN d.n_present >= 2 THEN d.created_at + d.gap END,
       CASE WHEN d.finished THEN d.created_at + (d.n_full - 1) * d.gap END,
       CASE WHEN d.finished THEN d.created_at + d.n_full * d.gap END
FROM seed_docs d
"""

_INSTANCES = """
INSERT INTO workflow_instances (
    id, tenant_id, document_id, template_id, unit_id, role_in_document, status, handler_id,
    created_at, completed_at)
SELECT d.registry_instance_id, %(tenant)s::uuid, d.id, %(template)s::uuid, %(registry)s::uuid, 'registry',
       CASE WHEN d.finished THEN 'archived' ELSE 'active' END, NULL,
       d.created_at, CASE WHEN d.finished THEN d.created_at + d.n_full * d.gap END
FROM seed_docs d
UNION ALL
SELECT d.branch_instance_id, %(tenant)s::uuid, d.id, %(template)s::uuid, d.division_id, 'lead',
       CASE WHEN d.n_present >= d.n_full - 1 THEN 'completed' ELSE 'active' END,
       CASE WHEN d.n_present >= 3 THEN d.handler_id END,
       d.created_at + d.gap,
       CASE WHEN d.n_present >= d.n_full - 1 THEN d.created_at + (d.n_full - 2) * d.gap END
FROM seed_docs d
WHERE d.n_present >= 2
"""

_TASKS = """
INSERT INTO tasks (
    id, tenant_id, document_id, instance_id, template_id, step, step_name, roles, unit_id,
    assignee_id, status, role_in_document, urgency_rank, created_at, due_at, due_provisional,
    previous_task_id, completed_at, completed_by, action, opinion, on_behalf_of_id, version,
    due_rule, due_days, remind_at, reminded_at, overdue_at, overdue_unit_id, overdue_user_id)
SELECT gen_random_uuid(), %(tenant)s::uuid, d.id,
       CASE WHEN st.held_by = 'registry' THEN d.registry_instance_id
            ELSE d.branch_instance_id END,
       %(template)s::uuid, st.key, st.name, st.roles,
       CASE WHEN st.held_by = 'registry' THEN %(registry)s::uuid ELSE d.division_id END,
       CASE st.held_by WHEN 'handler' THEN d.handler_id WHEN 'leader' THEN d.leader_id END,
       CASE WHEN t.open THEN 'open' ELSE 'done' END,
       CASE WHEN st.held_by = 'registry' THEN 'registry' ELSE 'lead' END,
       d.urgency_rank,
       t.at,
       due.due_at,
       coalesce(due.provisional, false),
       NULL,
       CASE WHEN NOT t.open THEN t.at + d.gap END,
       CASE WHEN NOT t.open THEN
         CASE st.acted_by WHEN 'registrar' THEN d.registrar_id WHEN 'handler' THEN d.handler_id
              WHEN 'head' THEN d.head_id WHEN 'leader' THEN d.leader_id END
       END,
       CASE WHEN NOT t.open THEN st.action END,
       CASE WHEN NOT t.open THEN st.opinion END,
       NULL,
       CASE WHEN t.open THEN 1 ELSE 2 END,
       st.rule,
       st.days,
       due.remind_at,
       CASE WHEN due.remind_at <= t.until THEN due.remind_at END,
       CASE WHEN due.due_at < t.until THEN due.due_at END,
       CASE WHEN due.due_at < t.until
         THEN CASE WHEN st.held_by = 'registry' THEN %(registry)s::uuid ELSE d.division_id END
       END,
       CASE WHEN due.due_at < t.until THEN
         CASE st.held_by WHEN 'handler' THEN d.handler_id WHEN 'leader' THEN d.leader_id END
       END
FROM seed_docs d
CROSS JOIN LATERAL generate_series(0, d.n_present - 1) AS s(slot)
CROSS JOIN LATERAL (
    SELECT d.created_at + s.slot * d.gap AS at,
           s.slot = d.n_present - 1 AND NOT d.finished AS open,
           -- until when it was open: now, or when it was done
           CASE WHEN s.slot = d.n_present - 1 AND NOT d.finished THEN %(now)s::timestamptz
                ELSE d.created_at + (s.slot + 1) * d.gap END AS until,
           CASE WHEN NOT d.has_leader AND s.slot >= %(leader_step)s THEN s.slot + 1
                ELSE s.slot END AS step_no
) t
JOIN seed_steps st ON st.step_no = t.step_no
LEFT JOIN seed_due due
       ON due.day = (t.at AT TIME ZONE 'Asia/Shanghai')::date AND due.days = st.days
ORDER BY d.k, s.slot
"""


@contextmanager
def _timed(report: SeedReport, phase: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    report.phases[phase] = report.phases.get(phase, 0.0) + time.perf_counter() - started


def _copy(cur: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """COPY rows (of simple values) into a table."""
    buf = io.StringIO()
    for row in rows:
        cells = []
        for v in row:
            if v is None:
                cells.append("\\N")
            elif isinstance(v, list):
                cells.append("{" + ",".join(v) + "}")
            elif isinstance(v, bool):
                cells.append("t" if v else "f")
            else:
                cells.append(str(v).replace("\\", "\\\\").replace("\t", "\\t"))
        buf.write("\t".join(cells) + "\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buf)


def drop_secondary_indexes(cur: Any, table: str) -> list[str]:
    """Drop a table's indexes other than its primary key and unique constraints (to
    load it faster); returns their definitions, to be run again after the load."""
    cur.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid"
        " WHERE x.indrelid = %s::regclass AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        (table,),
    )
    secondary = list(cur.fetchall())
    for name, _ in secondary:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in secondary]


def due_by_day(
    first: dt.date, last: dt.date, limits: set[int]
) -> list[tuple[dt.date, int, dt.datetime, bool, dt.datetime]]:
    """The real deadline and reminder of a task opened on each Shanghai day from
    ``first`` to ``last`` with each time limit (the distribution rule and the step
    rule count the same days: the start day does not count)."""
    calendar = tenant_calendar(None)
    out = []
    day = first
    while day <= last:
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI)
        for days in sorted(limits):
            due = compute(Rule(DISTRIBUTION, days), noon, calendar)
            out.append((day, days, due.due_at, due.provisional, due.remind_at))
        day += dt.timedelta(days=1)
    return out


def seed(
    dsn: str,
    org: SeedOrg,
    *,
    tasks: int,
    users: int = 2000,
    years: float = 3.0,
    now: dt.datetime | None = None,
) -> SeedReport:
    """Fill the (empty) routing database at ``dsn`` with ``tasks`` tasks of ``org``."""
    if len(org.division_ids) != DIVISIONS:
        raise ValueError(f"need {DIVISIONS} divisions, got {len(org.division_ids)}")
    if per_division(users) <= HEADS_PER_DIVISION:
        raise ValueError(f"{users} users are too few for {DIVISIONS} divisions")
    now = now or dt.datetime.now(dt.UTC)
    report = SeedReport(users=users)
    started = time.perf_counter()
    span = dt.timedelta(days=365.25 * years)
    # ~7.5 tasks a document; a few percent more documents than needed, trimmed after
    documents = int(tasks / 7.4) + 100
    params: dict[str, Any] = {
        "tenant": str(org.tenant_id),
        "registry": str(org.registry_unit_id),
        "template": str(DEFAULT_TEMPLATE_ID),
        "start": now - span,
        "now": now,
        "step_s": span.total_seconds() / documents,
        "documents": documents,
        "tasks": tasks,
        "divisions": DIVISIONS,
        "per_division": per_division(users),
        "heads": HEADS_PER_DIVISION,
        "leaders": LEADERS,
        "registrars": REGISTRARS,
        "first_user": LEADERS + REGISTRARS,
        "topics": list(TOPICS),
        "leader_step": LEADER_STEP,
    }

    conn = psycopg2.connect(dsn)
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers
            cur.execute("SET maintenance_work_mem = '256MB'")
            cur.execute("SET work_mem = '64MB'")
            steps = steps_rows()
            with _timed(report, "plan"):
                cur.execute(
                    "CREATE TEMP TABLE seed_users (u int PRIMARY KEY, id uuid NOT NULL);"
                    "CREATE TEMP TABLE seed_divisions (d int PRIMARY KEY, id uuid NOT NULL);"
                    "CREATE TEMP TABLE seed_steps (step_no int PRIMARY KEY, key text, name text,"
                    " roles text[], held_by text, acted_by text, action text, opinion text,"
                    " rule text, days int);"
                    "CREATE TEMP TABLE seed_due (day date, days int, due_at timestamptz,"
                    " provisional boolean, remind_at timestamptz, PRIMARY KEY (day, days))"
                )
                _copy(cur, "seed_users", "u, id", [(u, org.user_id(u)) for u in range(users)])
                _copy(
                    cur,
                    "seed_divisions",
                    "d, id",
                    [(d, i) for d, i in enumerate(org.division_ids)],
                )
                _copy(
                    cur,
                    "seed_steps",
                    "step_no, key, name, roles, held_by, acted_by, action, opinion, rule, days",
                    steps,
                )
                first_day = (now - span).astimezone(SHANGHAI).date()
                last_day = now.astimezone(SHANGHAI).date()
                _copy(
                    cur,
                    "seed_due",
                    "day, days, due_at, provisional, remind_at",
                    due_by_day(first_day, last_day, {r[-1] for r in steps if r[-1] is not None}),
                )
                cur.execute(_DOCS, params)
                cur.execute(_TRIM, params)
                cur.execute(_DOCS_FINISH, params)
                cur.execute("ANALYZE seed_docs")
            with _timed(report, "documents"):
                cur.execute(_SUMMARIES, params)
                report.documents = cur.rowcount
                cur.execute(_INSTANCES, params)
                report.instances = cur.rowcount
            with _timed(report, "tasks"):
                secondary = drop_secondary_indexes(cur, "tasks")
                cur.execute(_TASKS, params)
                report.tasks = cur.rowcount
            with _timed(report, "indexes"):
                for definition in secondary:
                    cur.execute(definition)
            cur.execute("SELECT count(*) FROM tasks WHERE status = 'open'")
            report.open_tasks = int(cur.fetchone()[0])
        conn.commit()
        conn.autocommit = True
        with _timed(report, "vacuum analyze"), conn.cursor() as cur:
            for table in ("document_summaries", "workflow_instances", "tasks"):
                cur.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        conn.close()
    report.span_days = span.days
    report.seconds = time.perf_counter() - started
    return report


# -- open tasks only (bench.overdue) ----------------------------------------------------------
#
# A registry at one instant: ``tasks`` open tasks, one per document in flight, and
# no history. Each task's deadline is chosen so that a given share of the tasks
# falls in each band of due times (the benchmark's windows: due just before the
# next midnight, due in a year still provisional …), with a realistic mix of time
# limits and start days.


@dataclass(frozen=True)
class DueBand:
    """A share (whole per cent) of the open tasks whose due time is in
    ``[due_from, due_before)`` (None: unbounded); ``with_deadline=False``: tasks
    at a step without a time limit (the registry's 分办), no due time at all."""

    name: str
    percent: int
    due_from: dt.datetime | None = None
    due_before: dt.datetime | None = None
    with_deadline: bool = True

    def holds(self, due_at: dt.datetime) -> bool:
        return (
            self.with_deadline
            and (self.due_from is None or due_at >= self.due_from)
            and (self.due_before is None or due_at < self.due_before)
        )


# (rule, working days, weight among the tasks of a working day): the distribution rule
# of 处室签收, the default 3 days of 拟办/审核/批示/办理, and the longer limits template
# owners set for the handler's step (办理/承办), up to ~3 months (建议提案).
OPEN_LIMITS: tuple[tuple[str, int, int], ...] = (
    (DISTRIBUTION, 3, 30),
    (STEP, 3, 20),
    (STEP, 5, 12),
    (STEP, 10, 12),
    (STEP, 15, 10),
    (STEP, 20, 7),
    (STEP, 30, 5),
    (STEP, 60, 4),
)
OFF_DAY_WEIGHT = 1  # a task started on a weekend or holiday: rare
NO_DEADLINE_DAYS = 5  # tasks without a time limit were opened in the last days
NO_DEADLINE_WEIGHT = 10


def routing_national(dsn: str) -> dict[int, YearSchedule]:
    """The national schedules the routing database at ``dsn`` has (``calendar_years``;
    a year without a row is provisional)."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT year, holidays, workdays FROM calendar_years ORDER BY year")
            return {
                int(year): YearSchedule(
                    year=int(year),
                    holidays=frozenset(holidays or ()),
                    workdays=frozenset(workdays or ()),
                    provisional=False,
                )
                for year, holidays, workdays in cur.fetchall()
            }
    finally:
        conn.close()


def routing_calendar(dsn: str) -> WorkingDayCalendar:
    """The national calendar routing computes deadlines with (a tenant without overrides)."""
    return effective_calendar(routing_national(dsn), [])


def open_options(
    bands: tuple[DueBand, ...],
    now: dt.datetime,
    calendar: WorkingDayCalendar,
    history_days: int,
    limits: tuple[tuple[str, int, int], ...] = OPEN_LIMITS,
) -> list[tuple[Any, ...]]:
    """Every (start day, rule, working days) of the last ``history_days`` with its real
    deadline and reminder, in the first band that holds its due time (dropped when none
    does): ``(opt, band, day, rule, days, due_at, provisional, remind_at, weight)``."""
    local_now = now.astimezone(SHANGHAI)
    # a task starts between 08:30 and 18:00 Shanghai: today only once the day is over
    last = local_now.date()
    if local_now.time() < dt.time(18):
        last -= dt.timedelta(days=1)
    first = last - dt.timedelta(days=history_days)
    rows: list[tuple[Any, ...]] = []
    found = [0] * len(bands)
    day = first
    while day <= last:
        working = calendar.is_working_day(day)
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI)
        for rule, days, weight in limits:
            due = compute(Rule(rule, days), noon, calendar)
            band = next((i for i, b in enumerate(bands) if b.holds(due.due_at)), None)
            if band is None:
                continue
            found[band] += 1
            rows.append(
                (
                    len(rows),
                    band,
                    day,
                    rule,
                    days,
                    due.due_at,
                    due.provisional,
                    due.remind_at,
                    weight if working else OFF_DAY_WEIGHT,
                )
            )
        if (last - day).days < NO_DEADLINE_DAYS:
            for band, b in enumerate(bands):
                if not b.with_deadline:
                    found[band] += 1
                    weight = NO_DEADLINE_WEIGHT if working else OFF_DAY_WEIGHT
                    rows.append((len(rows), band, day, None, None, None, False, None, weight))
        day += dt.timedelta(days=1)
    empty = [b.name for b, n in zip(bands, found, strict=True) if n == 0 and b.percent]
    if empty:
        raise ValueError(f"no start day and time limit gives a deadline in: {', '.join(empty)}")
    return rows


# One row per open task (and its document): the option (start day, rule, limit) drawn
# from the task's band, who holds it, at which step.
_OPEN = """
CREATE TEMP TABLE seed_open AS
WITH g AS (
    SELECT k, b.band,
           abs(hashint8extended(k, 21)) AS h_opt,
           abs(hashint8extended(k, 22)) %% 34200 AS r_time,
           abs(hashint8extended(k, 1)) %% 100 AS r_urgency,
           abs(hashint8extended(k, 2)) %% 100 AS r_busy,
           abs(hashint8extended(k, 3)) %% (%(divisions)s - 1) AS r_division,
           (abs(hashint8extended(k, 4)) %% 10000) / 10000.0 AS r_handler,
           abs(hashint8extended(k, 5)) %% %(heads)s AS r_head,
           abs(hashint8extended(k, 6)) %% %(leaders)s AS r_leader,
           abs(hashint8extended(k, 7)) %% %(registrars)s AS r_registrar,
           abs(hashint8extended(k, 8)) %% 100 AS r_step,
           abs(hashint8extended(k, 9)) %% 100 AS r_leader_doc,
           1 + abs(hashint8extended(k, 10)) %% 96 AS lag,
           abs(hashint8extended(k, 11)) %% 30 AS r_remind
    FROM generate_series(0, %(tasks)s - 1) AS k
    JOIN seed_band_of b ON b.r = k %% 100
), o AS (
    SELECT g.*, o.day, o.rule, o.days, o.due_at, o.provisional, o.remind_at,
           ((o.day + interval '8 hours 30 minutes' + g.r_time * interval '1 second')
             AT TIME ZONE 'Asia/Shanghai') AS at,
           CASE WHEN o.rule IS NULL THEN %(registry_step)s
                WHEN o.rule = 'distribution' THEN %(sign_step)s
                WHEN o.days <= 3 THEN (%(short_steps)s::int[])[1 + g.r_step %% 4]
                WHEN g.r_step < 30 THEN %(propose_step)s
                ELSE %(handle_step)s END AS step_no,
           CASE WHEN g.r_busy < 10 THEN 0 ELSE 1 + g.r_division END AS division
    FROM g
    JOIN seed_band_slots bs ON bs.band = g.band
    JOIN seed_slots s ON s.band = g.band AND s.slot = g.h_opt %% bs.slots
    JOIN seed_opts o ON o.opt = s.opt
)
SELECT o.k, o.band, o.day, o.rule, o.days, o.due_at, o.provisional, o.remind_at, o.at,
       o.step_no, o.r_remind,
       st.key AS step_key, st.name AS step_name, st.roles, st.held_by,
       md5('gongwen-bench-open-doc:' || o.k)::uuid AS doc_id,
       md5('gongwen-bench-open-registry:' || o.k)::uuid AS registry_instance_id,
       md5('gongwen-bench-open-branch:' || o.k)::uuid AS branch_instance_id,
       CASE WHEN o.r_urgency < 5 THEN 0 WHEN o.r_urgency < 20 THEN 1 ELSE 2 END::smallint
         AS urgency_rank,
       dv.id AS division_id, hu.id AS handler_id, he.id AS head_id, le.id AS leader_id,
       re.id AS registrar_id,
       st.held_by = 'registry' AS at_registry,
       -- registered (and distributed) before this step opened
       CASE WHEN st.held_by = 'registry' THEN o.at
            WHEN o.step_no = %(sign_step)s THEN o.at - o.lag * interval '1 minute'
            ELSE o.at - o.lag * interval '1 hour' END AS doc_created_at,
       CASE WHEN st.held_by = 'registry' THEN NULL
            WHEN o.step_no = %(sign_step)s THEN o.at
            ELSE o.at - o.lag * interval '45 minutes' END AS distributed_at,
       o.step_no >= %(leader_step)s AND o.r_leader_doc < 20 AS leader_instruction_doc
FROM o
JOIN seed_steps st ON st.step_no = o.step_no
JOIN seed_divisions dv ON dv.d = o.division
JOIN seed_users hu ON hu.u = %(first_user)s + o.division * %(per_division)s + %(heads)s
     + floor((%(per_division)s - %(heads)s) * o.r_handler * o.r_handler)::int
JOIN seed_users he ON he.u = %(first_user)s + o.division * %(per_division)s + o.r_head
JOIN seed_users le ON le.u = o.r_leader
JOIN seed_users re ON re.u = %(leaders)s + o.r_registrar
"""

_OPEN_SUMMARIES = """
INSERT INTO document_summaries (
    id, tenant_id, title, doc_number, urgency, registry_unit_id, registered_by, status,
    lead_unit_id, is_leader_instruction, created_at, distributed_at, completed_at, archived_at)
SELECT d.doc_id, %(tenant)s::uuid,
       '关于' || (%(topics)s::text[])[1 + d.k %% cardinality(%(topics)s::text[])]
         || '的通知（第' || d.k || '号）',
       '黔府办函〔' || extract(year FROM d.doc_created_at)::int || '〕' || (1 + d.k %% 997) || '号',
       (ARRAY['extra_urgent', 'urgent', 'normal'])[d.urgency_rank + 1],
       %(registry)s::uuid, d.registrar_id,
       CASE WHEN d.at_registry THEN 'registered' ELSE 'distributed' END,
       CASE WHEN NOT d.at_registry THEN d.division_id END,
       d.leader_instruction_doc, d.doc_created_at, d.distributed_at, NULL, NULL
FROM seed_open d
ORDER BY d.doc_created_at
"""

_OPEN_INSTANCES = """
INSERT INTO workflow_instances (
    id, tenant_id, document_id, template_id, unit_id, role_in_document, status, handler_id,
    created_at, completed_at)
SELECT d.registry_instance_id, %(tenant)s::uuid, d.doc_id, %(template)s::uuid,
       %(registry)s::uuid, 'registry', 'active', NULL::uuid, d.doc_created_at,
       NULL::timestamptz
FROM seed_open d
UNION ALL
SELECT d.branch_instance_id, %(tenant)s::uuid, d.doc_id, %(template)s::uuid, d.division_id,
       'lead', 'active', CASE WHEN d.step_no > %(sign_step)s THEN d.handler_id END,
       d.distributed_at, NULL::timestamptz
FROM seed_open d
WHERE NOT d.at_registry
"""

# As the scanner leaves them at ``now``: reminded once the reminder time came, marked
# overdue (overdue_at = the due time, and who held it) once the due time passed.
_OPEN_TASKS = """
INSERT INTO tasks (
    id, tenant_id, document_id, instance_id, template_id, step, step_name, roles, unit_id,
    assignee_id, status, role_in_document, urgency_rank, created_at, due_at, due_provisional,
    previous_task_id, completed_at, completed_by, action, opinion, on_behalf_of_id, version,
    due_rule, due_days, remind_at, reminded_at, overdue_at, overdue_unit_id, overdue_user_id)
SELECT gen_random_uuid(), %(tenant)s::uuid, d.doc_id,
       CASE WHEN d.at_registry THEN d.registry_instance_id ELSE d.branch_instance_id END,
       %(template)s::uuid, d.step_key, d.step_name, d.roles, x.unit_id, x.assignee_id,
       'open', CASE WHEN d.at_registry THEN 'registry' ELSE 'lead' END, d.urgency_rank,
       d.at, d.due_at, d.provisional, NULL, NULL, NULL, NULL, NULL, NULL, 1,
       d.rule, d.days, d.remind_at,
       CASE WHEN d.remind_at <= %(now)s
         THEN least(d.remind_at + d.r_remind * interval '1 second', %(now)s) END,
       CASE WHEN d.due_at < %(now)s THEN d.due_at END,
       CASE WHEN d.due_at < %(now)s THEN x.unit_id END,
       CASE WHEN d.due_at < %(now)s THEN x.assignee_id END
FROM seed_open d
CROSS JOIN LATERAL (
    SELECT CASE WHEN d.at_registry THEN %(registry)s::uuid ELSE d.division_id END AS unit_id,
           CASE d.held_by WHEN 'handler' THEN d.handler_id WHEN 'leader' THEN d.leader_id
           END AS assignee_id
) x
ORDER BY d.at
"""


def seed_open(
    dsn: str,
    org: SeedOrg,
    *,
    tasks: int,
    now: dt.datetime,
    bands: tuple[DueBand, ...],
    calendar: WorkingDayCalendar,
    users: int = 2000,
    history_days: int = 150,
) -> SeedReport:
    """Fill the (empty) routing database at ``dsn`` with ``tasks`` open tasks of ``org``
    at the instant ``now``, one per document in flight, shared among ``bands`` (their
    per cents must add up to 100). Deadlines are computed with ``calendar`` (give it the
    one routing uses: :func:`routing_calendar`); rows are inserted in the order the
    tasks were opened. ``report.bands``: how many tasks each band got."""
    if sum(b.percent for b in bands) != 100:
        raise ValueError("the bands' per cents must add up to 100")
    if len(org.division_ids) != DIVISIONS:
        raise ValueError(f"need {DIVISIONS} divisions, got {len(org.division_ids)}")
    if per_division(users) <= HEADS_PER_DIVISION:
        raise ValueError(f"{users} users are too few for {DIVISIONS} divisions")
    report = SeedReport(users=users, span_days=history_days)
    started = time.perf_counter()
    steps = steps_rows()
    step_no = {row[1]: row[0] for row in steps}
    params: dict[str, Any] = {
        "tenant": str(org.tenant_id),
        "registry": str(org.registry_unit_id),
        "template": str(DEFAULT_TEMPLATE_ID),
        "now": now,
        "tasks": tasks,
        "divisions": DIVISIONS,
        "per_division": per_division(users),
        "heads": HEADS_PER_DIVISION,
        "leaders": LEADERS,
        "registrars": REGISTRARS,
        "first_user": LEADERS + REGISTRARS,
        "topics": list(TOPICS),
        "leader_step": step_no["leader_instruction"],
        "registry_step": step_no["registry_distribute"],
        "sign_step": step_no["division_sign"],
        "propose_step": step_no["propose"],
        "handle_step": step_no["handle"],
        "short_steps": [
            step_no[k] for k in ("propose", "division_review", "leader_instruction", "handle")
        ],
    }

    conn = psycopg2.connect(dsn)
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers
            cur.execute("SET maintenance_work_mem = '256MB'")
            cur.execute("SET work_mem = '64MB'")
            with _timed(report, "plan"):
                options = open_options(bands, now, calendar, history_days)
                # task k is in the band of k % 100: of every 100 tasks each band gets its per cent
                band_of = [
                    (r, band)
                    for r, band in enumerate(
                        i for i, b in enumerate(bands) for _ in range(b.percent)
                    )
                ]
                slots: list[tuple[int, int, int]] = []
                band_slots: dict[int, int] = {}
                for opt, band, *_, weight in options:
                    for _ in range(weight):
                        slots.append((band, band_slots.get(band, 0), opt))
                        band_slots[band] = band_slots.get(band, 0) + 1
                cur.execute(
                    "CREATE TEMP TABLE seed_users (u int PRIMARY KEY, id uuid NOT NULL);"
                    "CREATE TEMP TABLE seed_divisions (d int PRIMARY KEY, id uuid NOT NULL);"
                    "CREATE TEMP TABLE seed_steps (step_no int PRIMARY KEY, key text, name text,"
                    " roles text[], held_by text, acted_by text, action text, opinion text,"
                    " rule text, days int);"
                    "CREATE TEMP TABLE seed_opts (opt int PRIMARY KEY, band int, day date,"
                    " rule text, days int, due_at timestamptz, provisional boolean,"
                    " remind_at timestamptz, weight int);"
                    "CREATE TEMP TABLE seed_band_of (r int PRIMARY KEY, band int);"
                    "CREATE TEMP TABLE seed_band_slots (band int PRIMARY KEY, slots int);"
                    "CREATE TEMP TABLE seed_slots (band int, slot int, opt int,"
                    " PRIMARY KEY (band, slot))"
                )
                _copy(cur, "seed_users", "u, id", [(u, org.user_id(u)) for u in range(users)])
                _copy(cur, "seed_divisions", "d, id", list(enumerate(org.division_ids)))
                _copy(
                    cur,
                    "seed_steps",
                    "step_no, key, name, roles, held_by, acted_by, action, opinion, rule, days",
                    steps,
                )
                _copy(
                    cur,
                    "seed_opts",
                    "opt, band, day, rule, days, due_at, provisional, remind_at, weight",
                    options,
                )
                _copy(cur, "seed_band_of", "r, band", band_of)
                _copy(cur, "seed_band_slots", "band, slots", list(band_slots.items()))
                _copy(cur, "seed_slots", "band, slot, opt", slots)
                cur.execute("ANALYZE seed_opts; ANALYZE seed_slots; ANALYZE seed_band_of")
                cur.execute(_OPEN, params)
                cur.execute("ANALYZE seed_open")
            with _timed(report, "documents"):
                secondary = drop_secondary_indexes(cur, "document_summaries")
                secondary += drop_secondary_indexes(cur, "workflow_instances")
                cur.execute(_OPEN_SUMMARIES, params)
                report.documents = cur.rowcount
                cur.execute(_OPEN_INSTANCES, params)
                report.instances = cur.rowcount
            with _timed(report, "tasks"):
                secondary += drop_secondary_indexes(cur, "tasks")
                cur.execute(_OPEN_TASKS, params)
                report.tasks = cur.rowcount
            with _timed(report, "indexes"):
                for definition in secondary:
                    cur.execute(definition)
            cur.execute("SELECT band, count(*) FROM seed_open GROUP BY band ORDER BY band")
            report.bands = {bands[band].name: int(n) for band, n in cur.fetchall()}
            cur.execute("SELECT count(*) FROM tasks WHERE status = 'open'")
            row = cur.fetchone()
            report.open_tasks = int(row[0]) if row else 0
        conn.commit()
        conn.autocommit = True
        with _timed(report, "vacuum analyze"), conn.cursor() as cur:
            for table in ("document_summaries", "workflow_instances", "tasks"):
                cur.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report


def expected_todo_total(
    dsn: str, tenant_id: uuid.UUID, user_id: uuid.UUID, unit_id: uuid.UUID, roles: list[str]
) -> int:
    """How many open tasks the to-do list of this user should count (straight SQL)."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM tasks WHERE tenant_id = %s AND status = 'open' AND"
                " (assignee_id = %s OR (assignee_id IS NULL AND unit_id = %s"
                " AND roles && %s::text[]))",
                (str(tenant_id), str(user_id), str(unit_id), roles),
            )
            row = cur.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


def psycopg2_dsn(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg2://…`` → ``postgresql://…``."""
    return sqlalchemy_url.replace("postgresql+psycopg2://", "postgresql://", 1)
