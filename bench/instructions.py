"""Leader-instruction search (领导批示: by number, by words, by leader and year) with
1,000,000 instructions of one tenant: database time and latency through the gateway,
beside a plain indexed lookup measured in the same run (no aim yet).

Setup, in the run's own stack (nothing is kept between runs):

1. Through the gateway: a tenant, its top unit and registry (文书处), and a registrar
   of that registry, who signs in.
2. Straight into the documents database (as the admin role: no row-level security,
   foreign-key triggers skipped, the tables' secondary indexes dropped and rebuilt):
   1,000,000 instructions (``--quick``: 50,000) over ten years on 400,000 documents
   (2–3 each), each with its opinion (处理笺, kind ``instruction``) as recording
   leaves them. 16 leaders: 10 厅领导 numbered by the system (serials 1..n per leader
   and year; three with the default format ``{n}``, the others e.g.
   ``办批〔{year}〕{n}号``) and 6 省政府领导 with hand numbers (``省长批〔2025〕118号``;
   one in ten not numbered yet); a fifth entered by a secretary (代录). Texts are
   composed of clauses of a leader's instruction (同意 / 请X厅牵头 / 会同Y厅研究办理 /
   a matter / a place / 及时报告结果 …) joined by punctuation, so that the service's
   grams (unigrams and bigrams of each run of letters) of a text are the union of its
   clauses' grams: each clause's grams, and each title's, are computed with
   ``rules.search_grams`` and the rows' ``search_grams`` are their union in SQL;
   ``search_text`` is ``rules.normalise_text(title + "\\n" + text)``, and a sample of
   rows is checked against the Python functions. Every document is registered by the
   tenant's registry (5 % are 领导批示件) and sent to one of 20 divisions and one of
   its handlers (``document_access``), for the variant measured as a handler. Then
   ``VACUUM ANALYZE`` and a ``CHECKPOINT``.

   Word frequencies: 50 rare place names (1 in 10,000 rows each: ~100 at full size;
   10 of them are searched), the common words 安全生产 and 防汛 (6.6 % each: in the
   text or the document's title), the very common 同意 (45 %).

Measured as the registrar of the registry that registered every seeded document (who
therefore sees all of them; the visibility condition is the service's own, evaluated
for every row found):

(i)  database time of each search, the service's own code path: the bench calls
     ``services.documents.instructions.search`` in-process on a session of the app
     role with the tenant's row-level-security settings, as a documents worker does,
     and times each SQL statement (cursor execute + fetch): the ``count(*)`` total,
     the page (20 rows, newest first), and everything the call sends (also the holds
     and unit names of the page). Median and max of N calls with random parameters.
     Baseline: ``queries.instruction`` (``instructions`` by primary key and tenant)
     the same way. ``EXPLAIN (ANALYZE, BUFFERS)`` of the count and the page of one
     call each (as the app role, so the row-level-security filters are in the plan);
     plans of statements slower than 20 ms are printed. The common word is also
     timed as a division's handler (visibility through ``document_access``).
(ii) through the gateway, 4 concurrent clients over keep-alive connections, a few
     hundred requests each with random parameters: ``GET /api/v1/instructions?``
     ``number=`` (random existing numbers), ``q=`` a rare word, ``q=`` a common word,
     ``q=同意``, ``leader_id=&year=``; baseline ``GET /api/v1/instructions/{id}``
     (random ids: one instruction, its document, its holds), before the searches and
     again after them. p50/p95/p99, requests/s and CPU per request of the gateway,
     documents, RabbitMQ and the database. A search that documents does not answer
     within the stack's RPC timeout (10 s) counts as an error (504), not as a latency.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import random
import re
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import psycopg2
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from bench.context import BenchContext
from bench.harness import Measurement, async_load, find_broker_pid, format_table, percentile
from bench.httpload import KeepAliveClient
from bench.seed_tasks import drop_secondary_indexes, psycopg2_dsn
from bench.todo import Api, BackendsCpuProbe, onboard_registry
from services.common.context import CallContext
from services.common.db import make_sessionmaker
from services.common.settings import Settings
from services.common.vocabulary import SHANGHAI
from services.documents import instructions as domain
from services.documents import queries, rules
from services.documents.schemas import InstructionSearch

NAME = "instructions"
DESCRIPTION = (
    "instruction search (by number, words, leader+year) with 1,000,000 instructions:"
    " DB time and gateway p99 vs a lookup by id"
)

INSTRUCTIONS = 1_000_000
QUICK_INSTRUCTIONS = 50_000
PER_DOCUMENT = 2.5  # instructions per document, on average
YEARS = 10
LAST_DAY = "2026-11-30"  # the seeded history ends that day (Shanghai)
DIVISIONS = 20
HANDLERS_PER_DIVISION = 5
SECRETARY_SHARE = 20  # per cent entered by a secretary (代录)
UNNUMBERED_SHARE = 10  # per cent of 省政府领导's instructions not numbered yet
PICKS = 10_000  # resolution of the clause draws (1 in 10,000)

CONCURRENCY = 4
CALLS = 300
WARMUP = 10
MAX_SECONDS = 90.0
DB_REPS = 30
DB_MAX_SECONDS = 30.0
SLOW_MS = 20.0  # statements slower than this have their plans printed

API = "/api/v1"
PASSWORD = "Bench-Instructions-2026"

# -- the vocabulary -----------------------------------------------------------------------

UNITS = (
    "省发展改革委",
    "省教育厅",
    "省科技厅",
    "省工业和信息化厅",
    "省公安厅",
    "省民政厅",
    "省司法厅",
    "省财政厅",
    "省人力资源社会保障厅",
    "省自然资源厅",
    "省生态环境厅",
    "省住房城乡建设厅",
    "省交通运输厅",
    "省水利厅",
    "省农业农村厅",
    "省商务厅",
    "省文化和旅游厅",
    "省卫生健康委",
    "省应急管理厅",
    "省审计厅",
    "省市场监管局",
    "省统计局",
    "省医保局",
    "省林业局",
    "省能源局",
    "省大数据局",
    "省信访局",
    "省粮食和物资储备局",
    "省乡村振兴局",
    "省国资委",
)

#: (matter, weight of 100): 安全生产 and 防汛 5 each
MATTERS = (
    ("压实安全生产责任", 3),
    ("加强安全生产监督管理", 2),
    ("抓好防汛抗旱工作", 3),
    ("做好防汛备汛各项准备", 2),
    ("做好森林防灭火工作", 3),
    ("加强食品药品监管", 3),
    ("推进数字政府建设", 3),
    ("持续优化营商环境", 3),
    ("做好信访维稳工作", 3),
    ("抓好粮食生产", 3),
    ("推进乡村振兴", 3),
    ("加强生态环境保护", 3),
    ("做好民生保障工作", 3),
    ("推进重大项目建设", 3),
    ("加强财政资金监管", 3),
    ("做好就业创业工作", 3),
    ("抓好义务教育均衡发展", 3),
    ("做好医疗救治工作", 3),
    ("推进城镇老旧小区改造", 3),
    ("加强道路交通管理", 3),
    ("提高统计数据质量", 3),
    ("推动工业经济稳增长", 3),
    ("加强水资源管理", 3),
    ("抓好招商引资", 3),
    ("深化国资国企改革", 3),
    ("做好冬春季动物疫病防控", 3),
    ("加强耕地保护", 3),
    ("做好地质灾害防治", 3),
    ("推进大数据产业发展", 3),
    ("抓好审计整改", 3),
    ("做好养老服务", 3),
    ("维护校园安全稳定", 3),
    ("规范旅游市场秩序", 3),
    ("加强价格监测", 2),
)

OPENERS = (
    ("同意", 30),
    ("同意拟办意见", 10),
    ("已阅", 10),
    ("阅", 5),
    ("请阅处", 5),
    ("拟同意", 5),
    ("请抓紧办理", 8),
    ("请认真研究", 8),
    ("请按程序办理", 7),
    ("请酌处", 5),
    ("请研究提出意见", 7),
)

PLACES = (
    "贵阳市",
    "遵义市",
    "六盘水市",
    "安顺市",
    "毕节市",
    "铜仁市",
    "黔东南州",
    "黔南州",
    "黔西南州",
    "贵安新区",
    "仁怀市",
    "盘州市",
    "清镇市",
    "兴义市",
    "凯里市",
    "都匀市",
    "赤水市",
    "福泉市",
    "威宁县",
    "习水县",
)

#: rare names: one in 10,000 instructions each
RARE_COUNTIES = (
    "赫章县",
    "纳雍县",
    "望谟县",
    "册亨县",
    "紫云县",
    "沿河县",
    "榕江县",
    "从江县",
    "晴隆县",
    "三都县",
)
RARE_PLACES = ("石门乡", "可乐乡", "大湾镇", "乐园村", "新寨村")
RARE = tuple(c + p for c in RARE_COUNTIES for p in RARE_PLACES)
RARE_SEARCHED = RARE[::5]  # one per county: the rare words searched (and counted)

CLOSINGS = (
    "及时报告结果",
    "办理情况及时报我",
    "确保按时完成",
    "重要情况及时报告",
    "并将结果报省政府",
    "限期办结",
    "请督查室跟踪督办",
)

TOPICS = (
    "进一步加强安全生产监督管理",
    "做好防汛抗旱准备工作",
    "做好冬春季森林防灭火工作",
    "开展营商环境专项督查",
    "报送年度重点工作完成情况",
    "推进数字政府建设",
    "加强和改进信访工作",
    "做好重要农产品稳产保供",
    "开展安全隐患排查整治",
    "加强食品安全监管",
    "做好高校毕业生就业工作",
    "推进新型城镇化建设",
    "加强生态环境问题整改",
    "开展耕地保护专项检查",
    "做好春运工作",
    "推进重大项目建设",
    "加强政务公开工作",
    "做好节日期间市场供应",
    "推进县域经济发展",
    "加强基层医疗卫生服务",
    "做好地质灾害防治",
    "推进乡村振兴重点工作",
    "加强统计督察整改",
    "做好迎峰度夏电力保障",
    "推进国资国企改革",
    "加强审计发现问题整改",
    "做好义务教育控辍保学",
    "开展养老服务质量提升行动",
    "做好全省旅游市场整治",
    "推进大数据与实体经济融合",
    "做好物价稳定工作",
    "加强水利工程建设管理",
    "开展招商引资专项行动",
    "做好民营企业服务",
    "推进政务服务一网通办",
    "做好防范化解金融风险",
    "加强道路交通秩序管理",
    "推进城镇老旧小区改造",
    "做好重大动物疫病防控",
    "加强人大代表建议办理",
)
KINDS = ("通知", "请示", "报告", "函", "紧急通知", "意见")
SOURCES = ("国务院办公厅", "省人民政府", "省委办公厅", "省发展改革委", "省应急管理厅", "省财政厅")

#: (name, kind, serial format or hand-number prefix, weight of 100)
LEADERS = (
    ("王建国", "office_leader", "办批〔{year}〕{n}号", 10),
    ("李文华", "office_leader", "{n}", 7),
    ("张明", "office_leader", "厅批〔{year}〕{n}号", 7),
    ("刘海涛", "office_leader", "{n}", 7),
    ("陈静", "office_leader", "陈副主任批〔{year}〕{n}号", 7),
    ("杨光", "office_leader", "{n}", 6),
    ("赵立新", "office_leader", "赵副主任批〔{year}〕{n}号", 7),
    ("黄振华", "office_leader", "黄副主任批〔{year}〕{n}号", 7),
    ("周敏", "office_leader", "周副主任批〔{year}〕{n}号", 6),
    ("吴凯", "office_leader", "吴副主任批〔{year}〕{n}号", 6),
    ("孙永平", "gov_leader", "省长批〔{year}〕{n}号", 6),
    ("徐国强", "gov_leader", "常务副省长批〔{year}〕{n}号", 5),
    ("胡建军", "gov_leader", "胡副省长批〔{year}〕{n}号", 5),
    ("朱红", "gov_leader", "朱副省长批〔{year}〕{n}号", 5),
    ("高峰", "gov_leader", "高副省长批〔{year}〕{n}号", 5),
    ("林涛", "gov_leader", "林副省长批〔{year}〕{n}号", 4),
)

# -- the words searched ------------------------------------------------------------------
COMMON_WORDS = ("安全生产", "防汛")
VERY_COMMON_WORD = "同意"


def _ns_uuid(kind: str, key: object) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"gongwen-bench-instructions:{kind}:{key}")


def _weighted(entries: list[tuple[int | None, int]]) -> list[int | None]:
    """``PICKS`` draws: each index ``weight`` in ``PICKS`` times, ``None`` for the rest."""
    out: list[int | None] = []
    for idx, weight in entries:
        out.extend([idx] * weight)
    if len(out) > PICKS:
        raise ValueError("weights add up to more than PICKS")
    return out + [None] * (PICKS - len(out))


@dataclass
class Clauses:
    """The clauses of the seeded texts: per slot, the clause texts and the draws."""

    slots: list[tuple[list[str], list[int | None]]] = field(default_factory=list)

    def add(self, texts: list[str], draws: list[int | None]) -> None:
        self.slots.append((texts, draws))


def clauses() -> Clauses:
    out = Clauses()
    # 1: always an opener
    texts = [t for t, _ in OPENERS]
    out.add(texts, _weighted([(i, w * PICKS // 100) for i, (_, w) in enumerate(OPENERS)]))
    # 2: 60 % 请X牵头
    texts = [f"请{u}牵头" for u in UNITS]
    out.add(texts, _weighted([(i, 6000 // len(UNITS)) for i in range(len(UNITS))]))
    # 3: 30 % 会同Y研究办理
    texts = [f"会同{u}研究办理" for u in UNITS]
    out.add(texts, _weighted([(i, 3000 // len(UNITS)) for i in range(len(UNITS))]))
    # 4: 85 % a matter, by weight
    texts = [t for t, _ in MATTERS]
    out.add(texts, _weighted([(i, w * 85) for i, (_, w) in enumerate(MATTERS)]))
    # 5: 15 % a place
    texts = [f"{p}要抓好落实" for p in PLACES]
    out.add(texts, _weighted([(i, 1500 // len(PLACES)) for i in range(len(PLACES))]))
    # 6: 0.5 % a rare place, 1 in 10,000 each
    texts = [f"{r}反映的问题请核实" for r in RARE]
    out.add(texts, _weighted([(i, 1) for i in range(len(RARE))]))
    # 7: 70 % a closing
    texts = list(CLOSINGS)
    out.add(texts, _weighted([(i, 7000 // len(CLOSINGS)) for i in range(len(CLOSINGS))]))
    return out


TEXT_SEPARATOR = "，"
TEXT_END = "。"


# -- seeding ------------------------------------------------------------------------------


@dataclass
class Tenant:
    tenant_id: uuid.UUID
    code: str
    top_unit_id: uuid.UUID
    registry_unit_id: uuid.UUID
    registrar_id: uuid.UUID
    registrar_username: str
    token: str

    def registrar_context(self) -> CallContext:
        return CallContext(
            tenant_id=self.tenant_id,
            tenant_code=self.code,
            user_id=self.registrar_id,
            username=self.registrar_username,
            roles=frozenset({"registrar"}),
            org_unit_id=self.registry_unit_id,
        )

    def handler_context(self) -> CallContext:
        return CallContext(
            tenant_id=self.tenant_id,
            tenant_code=self.code,
            user_id=handler_id(0, 0),
            username="bench-handler",
            roles=frozenset({"handler"}),
            org_unit_id=division_id(0),
        )


def division_id(d: int) -> uuid.UUID:
    return _ns_uuid("division", d)


def handler_id(d: int, j: int) -> uuid.UUID:
    return _ns_uuid("handler", f"{d}:{j}")


def make_tenant(ctx: BenchContext) -> Tenant:
    stack = ctx.stack
    api = Api(stack.gateway_url)
    code = f"in{uuid.uuid4().hex[:6]}"
    try:
        office = onboard_registry(api, ctx, code, "批示基准省政府办公厅", "省政府办公厅", PASSWORD)
    finally:
        api.close()
    return Tenant(
        tenant_id=uuid.UUID(office.tenant["id"]),
        code=code,
        top_unit_id=uuid.UUID(office.top["id"]),
        registry_unit_id=uuid.UUID(office.registry["id"]),
        registrar_id=uuid.UUID(office.registrar["id"]),
        registrar_username=office.registrar_username,
        token=office.registrar_token,
    )


def _copy(cur: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """COPY rows of simple values (text arrays of letters and digits only)."""
    buf = io.StringIO()
    for row in rows:
        cells = []
        for v in row:
            if v is None:
                cells.append("\\N")
            elif isinstance(v, list):
                cells.append("{" + ",".join(f'"{x}"' for x in v) + "}")
            else:
                cells.append(str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"))
        buf.write("\t".join(cells) + "\n")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buf)


# Instruction k: its document, time, leader, whether a secretary entered it, and the
# draws of its clauses; its serial among its leader's of that year; its place among
# its document's instructions.
_INS = """
CREATE TEMP TABLE seed_ins AS
WITH g AS (
    SELECT k,
           (k::bigint * %(documents)s / %(n)s)::int AS d,
           %(start)s::timestamptz
             + (k + (abs(hashint8extended(k, 1)) %% 1000) / 1000.0) * %(step)s
               * interval '1 second' AS at,
           abs(hashint8extended(k, 2)) %% 100 AS r_leader,
           abs(hashint8extended(k, 3)) %% 100 AS r_secretary,
           abs(hashint8extended(k, 4)) %% 100 AS r_unnumbered,
           abs(hashint8extended(k, 11)) %% %(picks)s AS p1,
           abs(hashint8extended(k, 12)) %% %(picks)s AS p2,
           abs(hashint8extended(k, 13)) %% %(picks)s AS p3,
           abs(hashint8extended(k, 14)) %% %(picks)s AS p4,
           abs(hashint8extended(k, 15)) %% %(picks)s AS p5,
           abs(hashint8extended(k, 16)) %% %(picks)s AS p6,
           abs(hashint8extended(k, 17)) %% %(picks)s AS p7
    FROM generate_series(0, %(n)s - 1) AS k
), l AS (
    SELECT g.*, lp.li, extract(year FROM g.at AT TIME ZONE 'Asia/Shanghai')::int AS year
    FROM g JOIN seed_leader_pick lp ON lp.r = g.r_leader
)
SELECT l.*,
       row_number() OVER (PARTITION BY l.li, l.year ORDER BY l.k)::int AS n,
       row_number() OVER (PARTITION BY l.d ORDER BY l.k)::int AS seq
FROM l
ORDER BY l.k
"""

_DOCS = """
CREATE TEMP TABLE seed_docs AS
SELECT d, count(*)::int AS instructions, min(at) AS first_at,
       abs(hashint8extended(d, 31)) %% %(titles)s AS title_no,
       abs(hashint8extended(d, 32)) %% 100 AS r_kind,
       abs(hashint8extended(d, 33)) %% %(sources)s AS source_no,
       abs(hashint8extended(d, 34)) %% %(handlers)s AS handler_no
FROM seed_ins GROUP BY d
ORDER BY d
"""

_DOCUMENTS = """
INSERT INTO documents (
    id, tenant_id, title, title_search, title_grams, source_org, doc_number, received_date,
    urgency, secrecy, page_count, note, status, registry_unit_id, registered_by, registered_at,
    lead_unit_id, assisting_unit_ids, is_leader_instruction, overdue, distributed_at,
    completed_at, archived_at, opinion_seq, updated_at, forwarded_at, forwarded_to,
    forwarding_slip)
SELECT md5('gongwen-bench-ins-doc:' || d.d)::uuid, %(tenant)s::uuid, t.title, t.norm, t.tsv,
       (%(sources_list)s::text[])[1 + d.source_no],
       '黔府办函〔' || extract(year FROM r.at AT TIME ZONE 'Asia/Shanghai')::int || '〕'
         || (1 + d.d %% 997) || '号',
       (r.at AT TIME ZONE 'Asia/Shanghai')::date,
       CASE WHEN d.r_kind < 5 THEN 'extra_urgent' WHEN d.r_kind < 20 THEN 'urgent'
            ELSE 'normal' END,
       'none', 1 + d.d %% 12, NULL,
       CASE WHEN r.at > %(now)s::timestamptz - interval '30 days' THEN 'distributed'
            WHEN d.r_kind < 10 THEN 'completed' ELSE 'archived' END,
       %(registry)s::uuid, %(registrar)s::uuid, r.at,
       dv.id, '{}', d.r_kind >= 95, false, r.at + interval '1 hour',
       CASE WHEN r.at <= %(now)s::timestamptz - interval '30 days'
            THEN d.first_at + interval '10 days' END,
       CASE WHEN r.at <= %(now)s::timestamptz - interval '30 days' AND d.r_kind >= 10
            THEN d.first_at + interval '20 days' END,
       d.instructions, d.first_at, NULL, '[]'::jsonb, NULL
FROM seed_docs d
CROSS JOIN LATERAL (SELECT d.first_at - interval '1 day' AS at) r
JOIN seed_titles t ON t.idx = d.title_no
JOIN seed_divisions dv ON dv.dv = d.d %% %(divisions)s
"""

_ACCESS = """
INSERT INTO document_access (document_id, principal_kind, principal_id, tenant_id, reason,
                             granted_at)
SELECT md5('gongwen-bench-ins-doc:' || d.d)::uuid, 'unit', dv.id, %(tenant)s::uuid, 'lead',
       d.first_at - interval '23 hours'
FROM seed_docs d JOIN seed_divisions dv ON dv.dv = d.d %% %(divisions)s
UNION ALL
SELECT md5('gongwen-bench-ins-doc:' || d.d)::uuid, 'user', h.id, %(tenant)s::uuid, 'task',
       d.first_at - interval '22 hours'
FROM seed_docs d
JOIN seed_handlers h ON h.dv = d.d %% %(divisions)s AND h.j = d.handler_no
"""

# the clauses of instruction k, as columns c1..c7 (NULL: the slot is empty)
_CLAUSE_JOINS = "\n".join(
    f"LEFT JOIN seed_picks q{s} ON q{s}.slot = {s} AND q{s}.r = i.p{s}\n"
    f"LEFT JOIN seed_clauses c{s} ON c{s}.slot = {s} AND c{s}.idx = q{s}.idx"
    for s in range(1, 8)
)
_TEXT = "array_to_string(ARRAY[{}], %(sep)s) || %(end)s".format(
    ", ".join(f"c{s}.txt" for s in range(1, 8))
)
_NORM = "array_to_string(ARRAY[{}], %(sep_norm)s) || %(end_norm)s".format(
    ", ".join(f"c{s}.norm" for s in range(1, 8))
)
_GRAMS = " || ".join(["t.tsv"] + [f"coalesce(c{s}.tsv, ''::tsvector)" for s in range(1, 8)])

_OPINIONS = f"""
INSERT INTO opinions (
    id, tenant_id, document_id, seq, kind, text, author_id, author_name, on_behalf_of_id,
    on_behalf_of_name, org_unit_id, step, task_id, created_at)
SELECT md5('gongwen-bench-ins-opinion:' || i.k)::uuid, %(tenant)s::uuid,
       md5('gongwen-bench-ins-doc:' || i.d)::uuid, i.seq, 'instruction', {_TEXT},
       CASE WHEN i.r_secretary < %(secretary_share)s THEN l.secretary_id ELSE l.id END,
       CASE WHEN i.r_secretary < %(secretary_share)s THEN l.secretary_name ELSE l.name END,
       CASE WHEN i.r_secretary < %(secretary_share)s THEN l.id END,
       CASE WHEN i.r_secretary < %(secretary_share)s THEN l.name END,
       %(top)s::uuid, 'leader_instruction', md5('gongwen-bench-ins-task:' || i.k)::uuid, i.at
FROM seed_ins i
JOIN seed_leaders l ON l.li = i.li
{_CLAUSE_JOINS}
"""

_INSTRUCTIONS = f"""
INSERT INTO instructions (
    id, tenant_id, document_id, opinion_id, task_id, leader_id, leader_name, leader_kind,
    entered_by, entered_by_name, unit_id, instructed_at, year, instructed_on, serial, number,
    number_key, text, search_text, search_grams, numbered_by, numbered_at)
SELECT md5('gongwen-bench-ins-instruction:' || i.k)::uuid, %(tenant)s::uuid,
       md5('gongwen-bench-ins-doc:' || i.d)::uuid,
       md5('gongwen-bench-ins-opinion:' || i.k)::uuid,
       md5('gongwen-bench-ins-task:' || i.k)::uuid,
       l.id, l.name, l.kind,
       CASE WHEN i.r_secretary < %(secretary_share)s THEN l.secretary_id ELSE l.id END,
       CASE WHEN i.r_secretary < %(secretary_share)s THEN l.secretary_name ELSE l.name END,
       %(top)s::uuid, i.at, i.year, (i.at AT TIME ZONE 'Asia/Shanghai')::date,
       CASE WHEN l.kind = 'office_leader' THEN i.n END,
       CASE WHEN x.numbered
         THEN replace(replace(l.fmt, '{{year}}', i.year::text), '{{n}}', i.n::text) END,
       CASE WHEN x.numbered
         THEN replace(replace(l.key_fmt, '{{year}}', i.year::text), '{{n}}', i.n::text) END,
       {_TEXT}, t.norm || E'\\n' || {_NORM}, {_GRAMS},
       CASE WHEN x.numbered AND l.kind = 'gov_leader' THEN l.secretary_id END,
       CASE WHEN x.numbered AND l.kind = 'gov_leader' THEN i.at + interval '2 hours' END
FROM seed_ins i
JOIN seed_leaders l ON l.li = i.li
JOIN seed_titles t ON t.idx = abs(hashint8extended(i.d, 31)) %% %(titles)s
CROSS JOIN LATERAL (
    SELECT l.kind = 'office_leader' OR i.r_unnumbered >= %(unnumbered_share)s AS numbered
) x
{_CLAUSE_JOINS}
"""

TABLES = ("documents", "document_access", "opinions", "instructions")


@dataclass
class SeedReport:
    instructions: int = 0
    documents: int = 0
    opinions: int = 0
    access_rows: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    sizes_mb: dict[str, float] = field(default_factory=dict)
    checked_rows: int = 0


def _timed(report: SeedReport, phase: str, started: float) -> float:
    now = time.perf_counter()
    report.phases[phase] = round(report.phases.get(phase, 0.0) + now - started, 1)
    return now


def seed(dsn: str, tenant: Tenant, n: int) -> SeedReport:
    """Fill the documents database at ``dsn`` (admin role) with ``n`` instructions."""
    report = SeedReport()
    started = t0 = time.perf_counter()
    documents = max(1, int(n / PER_DOCUMENT))
    last = dt.datetime.combine(dt.date.fromisoformat(LAST_DAY), dt.time(18), tzinfo=SHANGHAI)
    first = dt.datetime(last.year - YEARS + 1, 1, 1, 8, tzinfo=SHANGHAI)
    now = last + dt.timedelta(days=1)
    step = (last - first).total_seconds() / n
    cl = clauses()
    titles = [f"关于{t}的{k}" for t in TOPICS for k in KINDS]
    leaders = []
    for li, (name, kind, fmt, _) in enumerate(LEADERS):
        leaders.append(
            (
                li,
                _ns_uuid("leader", li),
                name,
                kind,
                fmt,
                rules.number_key(fmt),
                _ns_uuid("secretary", li),
                f"{name[0]}秘书",
            )
        )
    leader_pick = list(enumerate(li for li, (*_, w) in enumerate(LEADERS) for _ in range(w)))
    if len(leader_pick) != 100:
        raise ValueError("the leaders' weights must add up to 100")
    params: dict[str, Any] = {
        "n": n,
        "documents": documents,
        "start": first,
        "step": step,
        "now": now,
        "picks": PICKS,
        "titles": len(titles),
        "sources": len(SOURCES),
        "sources_list": list(SOURCES),
        "handlers": HANDLERS_PER_DIVISION,
        "divisions": DIVISIONS,
        "tenant": str(tenant.tenant_id),
        "registry": str(tenant.registry_unit_id),
        "registrar": str(tenant.registrar_id),
        "top": str(tenant.top_unit_id),
        "secretary_share": SECRETARY_SHARE,
        "unnumbered_share": UNNUMBERED_SHARE,
        "sep": TEXT_SEPARATOR,
        "end": TEXT_END,
        "sep_norm": rules.normalise_text(TEXT_SEPARATOR),
        "end_norm": rules.normalise_text(TEXT_END),
    }
    conn = psycopg2.connect(dsn)
    try:
        conn.autocommit = False
        with conn.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK triggers
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute("SET work_mem = '128MB'")
            cur.execute(
                "CREATE TEMP TABLE seed_clauses (slot int, idx int, txt text, norm text,"
                " grams text[], tsv tsvector, PRIMARY KEY (slot, idx));"
                "CREATE TEMP TABLE seed_picks (slot int, r int, idx int, PRIMARY KEY (slot, r));"
                "CREATE TEMP TABLE seed_titles (idx int PRIMARY KEY, title text, norm text,"
                " grams text[], tsv tsvector);"
                "CREATE TEMP TABLE seed_leaders (li int PRIMARY KEY, id uuid, name text,"
                " kind text, fmt text, key_fmt text, secretary_id uuid, secretary_name text);"
                "CREATE TEMP TABLE seed_leader_pick (r int PRIMARY KEY, li int);"
                "CREATE TEMP TABLE seed_divisions (dv int PRIMARY KEY, id uuid);"
                "CREATE TEMP TABLE seed_handlers (dv int, j int, id uuid, PRIMARY KEY (dv, j))"
            )
            clause_rows = []
            pick_rows = []
            for slot, (texts, draws) in enumerate(cl.slots, 1):
                for idx, txt in enumerate(texts):
                    grams = rules.search_grams(txt)
                    clause_rows.append((slot, idx, txt, rules.normalise_text(txt), grams))
                pick_rows += [(slot, r, idx) for r, idx in enumerate(draws)]
            _copy(cur, "seed_clauses", "slot, idx, txt, norm, grams", clause_rows)
            _copy(cur, "seed_picks", "slot, r, idx", pick_rows)
            _copy(
                cur,
                "seed_titles",
                "idx, title, norm, grams",
                [
                    (i, t, rules.normalise_text(t), rules.search_grams(t))
                    for i, t in enumerate(titles)
                ],
            )
            cur.execute(
                "UPDATE seed_clauses SET tsv = array_to_tsvector(grams);"
                "UPDATE seed_titles SET tsv = array_to_tsvector(grams)"
            )
            _copy(
                cur,
                "seed_leaders",
                "li, id, name, kind, fmt, key_fmt, secretary_id, secretary_name",
                leaders,
            )
            _copy(cur, "seed_leader_pick", "r, li", leader_pick)
            _copy(cur, "seed_divisions", "dv, id", [(d, division_id(d)) for d in range(DIVISIONS)])
            _copy(
                cur,
                "seed_handlers",
                "dv, j, id",
                [
                    (d, j, handler_id(d, j))
                    for d in range(DIVISIONS)
                    for j in range(HANDLERS_PER_DIVISION)
                ],
            )
            cur.execute(
                "ANALYZE seed_clauses; ANALYZE seed_picks; ANALYZE seed_titles;"
                " ANALYZE seed_leaders; ANALYZE seed_leader_pick"
            )
            cur.execute(_INS, params)
            cur.execute("CREATE INDEX ON seed_ins (d); ANALYZE seed_ins")
            cur.execute(_DOCS, params)
            cur.execute("ALTER TABLE seed_docs ADD PRIMARY KEY (d); ANALYZE seed_docs")
            t0 = _timed(report, "plan", t0)
            secondary: list[str] = []
            for table in TABLES:
                secondary += drop_secondary_indexes(cur, table)
            cur.execute(_DOCUMENTS, params)
            report.documents = cur.rowcount
            cur.execute(_ACCESS, params)
            report.access_rows = cur.rowcount
            t0 = _timed(report, "documents", t0)
            cur.execute(_OPINIONS, params)
            report.opinions = cur.rowcount
            t0 = _timed(report, "opinions", t0)
            cur.execute(_INSTRUCTIONS, params)
            report.instructions = cur.rowcount
            t0 = _timed(report, "instructions", t0)
            cur.execute(
                "INSERT INTO instruction_counters (tenant_id, leader_id, year, last_serial)"
                " SELECT tenant_id, leader_id, year, max(serial) FROM instructions"
                " WHERE tenant_id = %(tenant)s AND serial IS NOT NULL"
                " GROUP BY tenant_id, leader_id, year",
                params,
            )
            cur.execute(
                "INSERT INTO leader_numbering (tenant_id, leader_id, serial_format, updated_by,"
                " updated_at) SELECT %(tenant)s, id, fmt, id, %(start)s FROM seed_leaders"
                " WHERE kind = 'office_leader' AND fmt <> '{n}'",
                params,
            )
            for definition in secondary:
                t1 = time.perf_counter()
                cur.execute(definition)
                name = definition.split(" ON ")[0].split()[-1]
                report.phases[f"index {name}"] = round(time.perf_counter() - t1, 1)
            t0 = _timed(report, "indexes", t0)
        conn.commit()
        conn.autocommit = True
        with conn.cursor() as cur:
            for table in TABLES:
                cur.execute(f"VACUUM (ANALYZE) {table}")
            cur.execute("CHECKPOINT")
            t0 = _timed(report, "vacuum analyze, checkpoint", t0)
            for table in TABLES:
                cur.execute(
                    "SELECT pg_table_size(%s::regclass), pg_indexes_size(%s::regclass)",
                    (table, table),
                )
                row = cur.fetchone()
                if row:
                    report.sizes_mb[table] = round(row[0] / 2**20, 1)
                    report.sizes_mb[f"{table} indexes"] = round(row[1] / 2**20, 1)
            report.checked_rows = check_sample(cur, tenant, n)
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report


def check_sample(cur: Any, tenant: Tenant, n: int, rows: int = 300) -> int:
    """Recompute the search columns of a sample of rows with the service's functions."""
    ids = [str(_md5_uuid(f"gongwen-bench-ins-instruction:{k}")) for k in _sample(n, rows)]
    cur.execute(
        "SELECT i.id, d.title, i.text, i.search_text, i.number, i.number_key, d.title_search"
        " FROM instructions i JOIN documents d ON d.id = i.document_id"
        " WHERE i.id = ANY(%s::uuid[])",
        (ids,),
    )
    found = cur.fetchall()
    if len(found) != len(ids):
        raise RuntimeError(f"sample: {len(found)} of {len(ids)} instructions found")
    for row_id, title, text_, search_text, number, number_key, title_search in found:
        if search_text != rules.normalise_text(f"{title}\n{text_}"):
            raise RuntimeError(f"instruction {row_id}: search_text differs from the service's")
        if title_search != rules.normalise_text(title):
            raise RuntimeError(f"instruction {row_id}: title_search differs")
        if number is not None and number_key != rules.number_key(number):
            raise RuntimeError(f"instruction {row_id}: number_key differs")
        cur.execute(
            "SELECT i.search_grams = array_to_tsvector(%s::text[]),"
            " d.title_grams = array_to_tsvector(%s::text[])"
            " FROM instructions i JOIN documents d ON d.id = i.document_id WHERE i.id = %s",
            (rules.search_grams(title, text_), rules.title_grams(title), row_id),
        )
        same = cur.fetchone()
        if not same or not all(same):
            raise RuntimeError(f"instruction {row_id}: grams differ from the service's")
    return len(found)


def _md5_uuid(key: str) -> uuid.UUID:
    return uuid.UUID(hashlib.md5(key.encode()).hexdigest())


def _sample(n: int, count: int) -> list[int]:
    rng = random.Random(7)
    return rng.sample(range(n), min(n, count))


def instruction_uuid(k: int) -> uuid.UUID:
    return _md5_uuid(f"gongwen-bench-ins-instruction:{k}")


# -- what the search finds ----------------------------------------------------------------


def word_counts(dsn: str, tenant_id: uuid.UUID, words: list[str]) -> dict[str, int]:
    """How many instructions contain each word (one pass; what the totals should be)."""
    cells = ", ".join(
        f"count(*) FILTER (WHERE strpos(search_text, %(w{i})s) > 0)" for i in range(len(words))
    )
    params: dict[str, Any] = {f"w{i}": rules.normalise_text(w) for i, w in enumerate(words)}
    params["tenant"] = str(tenant_id)
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT {cells} FROM instructions WHERE tenant_id = %(tenant)s", params)
            row = cur.fetchone() or ()
    finally:
        conn.close()
    return {w: int(c) for w, c in zip(words, row, strict=True)}


def parameter_pools(dsn: str, tenant_id: uuid.UUID, n: int) -> dict[str, list[Any]]:
    """Random existing numbers, (leader, year) pairs and instruction ids."""
    percent = min(100.0, 500_000 / n)
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT number FROM instructions TABLESAMPLE SYSTEM ({percent})"
                " WHERE tenant_id = %s AND number IS NOT NULL",
                (str(tenant_id),),
            )
            numbers = [r[0] for r in cur.fetchall()]
            cur.execute(
                "SELECT DISTINCT leader_id, year FROM instructions WHERE tenant_id = %s",
                (str(tenant_id),),
            )
            leader_years = [(uuid.UUID(str(r[0])), int(r[1])) for r in cur.fetchall()]
    finally:
        conn.close()
    rng = random.Random(11)
    return {
        "numbers": rng.sample(numbers, min(500, len(numbers))),
        "leader_years": leader_years,
        "ids": [instruction_uuid(k) for k in _sample(n, 500)],
    }


# -- database time, the service's code path ---------------------------------------------------


class StatementTimer:
    """Time of each SQL statement an engine runs (cursor execute and fetch)."""

    def __init__(self, engine: Engine) -> None:
        self.records: list[tuple[str, Any, float]] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        elapsed = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        self.records.append((statement, parameters, elapsed))


def classify(statement: str) -> str:
    """What a statement of the search (or of the lookup) is, by what it reads first."""
    s = " ".join(statement.split())
    if "set_config" in s:
        return "rls"
    first = re.search(r"\bFROM (\w+)", s)
    table = first.group(1) if first else ""
    if s.startswith("SELECT count(*)") and "FROM instructions" in s:
        return "count"
    if table == "instructions" and "JOIN documents" in s and "ORDER BY" in s:
        return "page"
    if table == "instructions":
        return "lookup"
    if table == "document_holds":
        return "holds"
    if table == "directory_units":
        return "units"
    return "other"


@dataclass
class DbFigure:
    label: str
    calls: int = 0
    ms: dict[str, list[float]] = field(default_factory=dict)  # kind -> per call
    totals: list[int] = field(default_factory=list)
    sample: dict[str, tuple[str, Any]] = field(default_factory=dict)  # kind -> (SQL, params)

    def median(self, kind: str) -> float:
        values = self.ms.get(kind)
        return statistics.median(values) if values else float("nan")

    def worst(self, kind: str) -> float:
        values = self.ms.get(kind)
        return max(values) if values else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "calls": self.calls,
            "median_ms": {k: round(self.median(k), 3) for k in self.ms},
            "max_ms": {k: round(self.worst(k), 3) for k in self.ms},
            "total_median": statistics.median(self.totals) if self.totals else None,
            "total_max": max(self.totals) if self.totals else None,
        }


def db_times(
    engine: Engine,
    timer: StatementTimer,
    ctx: CallContext,
    label: str,
    call: Callable[[Any], Any],
    reps: int,
) -> DbFigure:
    """``reps`` calls of ``call(session)`` in their own transaction (as a worker's),
    each statement timed; ``call`` returns the page's total or None."""
    factory = make_sessionmaker(engine)
    figure = DbFigure(label)
    deadline = time.perf_counter() + DB_MAX_SECONDS
    for _ in range(reps):
        if figure.calls >= 3 and time.perf_counter() > deadline:
            break
        session = factory()
        session.info["ctx"] = ctx
        timer.records.clear()
        t0 = time.perf_counter()
        try:
            total = call(session)
        finally:
            session.rollback()
            session.close()
        elapsed = time.perf_counter() - t0
        figure.calls += 1
        per_kind: dict[str, float] = {}
        for statement, parameters, seconds in timer.records:
            kind = classify(statement)
            per_kind[kind] = per_kind.get(kind, 0.0) + seconds * 1000
            figure.sample.setdefault(kind, (statement, parameters))
        per_kind["all SQL"] = sum(s for _, _, s in timer.records) * 1000
        per_kind["call"] = elapsed * 1000
        for kind, ms in per_kind.items():
            figure.ms.setdefault(kind, []).append(ms)
        if total is not None:
            figure.totals.append(int(total))
    return figure


def explain(engine: Engine, tenant_id: uuid.UUID, statement: str, parameters: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement as the app role, row-level security on."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "SELECT set_config('app.tenant_id', %s, true), set_config('app.bypass_rls', 'off', true)",
            (str(tenant_id),),
        )
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        text_ = "\n".join(r[0] for r in cur.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return text_


RLS_QUAL = (
    "((tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)"
    " OR (current_setting('app.bypass_rls'::text, true) = 'on'::text))"
)
_KEPT = ("Filter:", "Index Cond:", "Recheck Cond:", "Rows Removed", "Sort Method", "Execution Time")


def compact_plan(plan: str) -> str:
    """A plan for people: node lines and their conditions, the tenant policy's qual
    written <RLS>, buffers and planning lines and never-executed subtrees left out."""
    out: list[str] = []
    skip_deeper: int | None = None
    for line in plan.splitlines():
        depth = len(line) - len(line.lstrip())
        if skip_deeper is not None:
            if depth > skip_deeper:
                continue
            skip_deeper = None
        stripped = line.strip()
        if "(never executed)" in stripped:
            skip_deeper = depth
            continue
        node = not out or stripped.startswith("->")
        top_buffers = len(out) == 1 and stripped.startswith("Buffers:")
        if node or top_buffers or stripped.startswith(_KEPT) or stripped.startswith("SubPlan"):
            out.append(line.replace(RLS_QUAL, "<RLS>"))
    return "\n".join(out)


def search_call(
    ctx: CallContext, rng: random.Random, make: Callable[[random.Random], dict[str, Any]]
) -> Callable[[Any], Any]:
    def call(session: Any) -> int:
        page = domain.search(session, ctx, InstructionSearch(**make(rng)))
        return page.total

    return call


# -- through the gateway --------------------------------------------------------------------------


async def gateway_phase(
    ctx: BenchContext,
    token: str,
    label: str,
    path: Callable[[], str],
    probe: BackendsCpuProbe,
) -> tuple[Measurement, float]:
    """(measurement, p95 ms) of GETs of ``path()`` by CONCURRENCY clients."""
    client = KeepAliveClient(
        ctx.stack.gateway_url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        size=CONCURRENCY,
    )
    await client.open()
    latencies: list[float] = []
    reopened = 0
    try:
        first = path()
        status, body = await client.send(client.build_get(first))
        if status != 200:
            raise RuntimeError(f"GET {first} answered {status}: {body[:300]!r}")
        json.loads(body)

        async def get() -> None:
            nonlocal reopened
            request = client.build_get(path())
            for attempt in range(CONCURRENCY + 1):
                started = time.perf_counter()
                try:
                    status, body = await client.send(request)
                    break
                except asyncio.IncompleteReadError as exc:
                    # the gateway (uvicorn: keep-alive timeout 5 s) closed a connection
                    # that sat idle while slow searches ran, before answering anything:
                    # sent again on a fresh one, as a browser would; the latency counts
                    # from the last sending
                    if exc.partial or attempt == CONCURRENCY:
                        raise
                    reopened += 1
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {body[:200]!r}")
            latencies.append(time.perf_counter() - started)

        m = await async_load(
            label,
            get,
            concurrency=CONCURRENCY,
            total=max(40, int(CALLS * ctx.scale)),
            warmup=max(5, int(WARMUP * ctx.scale)),
            max_seconds=MAX_SECONDS,
            probe=probe,
        )
    finally:
        await client.close()
    if reopened:
        print(
            f"  ({reopened} requests sent again on a new connection: the gateway had closed an"
            " idle keep-alive connection)",
            flush=True,
        )
    measured = sorted(v * 1000 for v in latencies[-m.calls :]) if m.calls else []
    return m, round(percentile(measured, 95), 3)


# -- the benchmark ----------------------------------------------------------------------------------


@dataclass
class Search:
    """One kind of search: what it is, its query parameters (drawn at random), the
    label of its gateway row."""

    key: str
    label: str
    http: str
    params: Callable[[random.Random], dict[str, str]]

    def path(self, rng: random.Random) -> str:
        query = "&".join(f"{k}={quote(v)}" for k, v in self.params(rng).items())
        return f"{API}/instructions?{query}"


def make_searches(pools: dict[str, list[Any]]) -> list[Search]:
    def number(r: random.Random) -> dict[str, str]:
        return {"number": str(r.choice(pools["numbers"]))}

    def rare(r: random.Random) -> dict[str, str]:
        return {"q": r.choice(RARE_SEARCHED)}

    def common(r: random.Random) -> dict[str, str]:
        return {"q": r.choice(COMMON_WORDS)}

    def very_common(r: random.Random) -> dict[str, str]:
        return {"q": VERY_COMMON_WORD}

    def leader_year(r: random.Random) -> dict[str, str]:
        leader_id, year = r.choice(pools["leader_years"])
        return {"leader_id": str(leader_id), "year": str(year)}

    return [
        Search("number", "number (exact)", "GET ?number=<existing number>", number),
        Search("rare", "q = a rare word (~0.01 %)", "GET ?q=<rare word>", rare),
        Search("common", "q = a common word (~6.6 %)", "GET ?q=<common word>", common),
        Search(
            "very_common",
            f"q = {VERY_COMMON_WORD} (~45 %)",
            f"GET ?q={VERY_COMMON_WORD} (very common)",
            very_common,
        ),
        Search("leader_year", "leader_id + year", "GET ?leader_id=&year=", leader_year),
    ]


def _path_of(search: Search, rng: random.Random) -> Callable[[], str]:
    return lambda: search.path(rng)


def run(ctx: BenchContext) -> dict[str, Any]:
    stack = ctx.stack
    if not ctx.gateway_ready:
        return {"skipped": "the gateway is not running"}
    n = INSTRUCTIONS if ctx.scale >= 1 else QUICK_INSTRUCTIONS
    settings = Settings()
    database = stack.env["DB_PREFIX"] + "documents"
    admin_dsn = psycopg2_dsn(settings.admin_database_url(database))
    app_url = settings.model_copy(update={"db_prefix": stack.env["DB_PREFIX"]}).app_database_url(
        "documents"
    )
    result: dict[str, Any] = {"instructions": n}

    tenant = make_tenant(ctx)
    print(f"  tenant {tenant.code!r} and its registrar made through the gateway", flush=True)
    print(f"  seeding {n:,} instructions …", flush=True)
    report = seed(admin_dsn, tenant, n)
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in report.phases.items())
    sizes = ", ".join(f"{k} {v:,.0f} MB" for k, v in report.sizes_mb.items())
    print(
        f"  seeded {report.instructions:,} instructions and opinions on {report.documents:,}"
        f" documents ({report.access_rows:,} access rows) in {report.seconds:.0f}s ({phases})",
        flush=True,
    )
    print(f"  sizes: {sizes}", flush=True)
    print(
        f"  {report.checked_rows} sample rows checked: search_text, search_grams, number_key"
        " and the titles' columns are what the service's functions give",
        flush=True,
    )
    result["seed"] = {
        "instructions": report.instructions,
        "documents": report.documents,
        "opinions": report.opinions,
        "access_rows": report.access_rows,
        "seconds": round(report.seconds, 1),
        "phases": report.phases,
        "sizes_mb": report.sizes_mb,
        "checked_rows": report.checked_rows,
    }

    counts = word_counts(
        admin_dsn, tenant.tenant_id, [*RARE_SEARCHED, *COMMON_WORDS, VERY_COMMON_WORD]
    )
    rare_counts = [counts[w] for w in RARE_SEARCHED]
    print(
        f"  rows per word: rare place names searched {min(rare_counts)}–{max(rare_counts)}"
        f" (median {statistics.median(rare_counts):.0f});"
        + "".join(
            f" {w} {counts[w]:,} ({100 * counts[w] / n:.1f} %)"
            for w in (*COMMON_WORDS, VERY_COMMON_WORD)
        ),
        flush=True,
    )
    result["word_rows"] = {
        "rare_min": min(rare_counts),
        "rare_max": max(rare_counts),
        "rare_median": statistics.median(rare_counts),
        **{w: counts[w] for w in (*COMMON_WORDS, VERY_COMMON_WORD)},
    }
    pools = parameter_pools(admin_dsn, tenant.tenant_id, n)

    searches = make_searches(pools)

    # (i) database time
    engine = create_engine(app_url, pool_size=2, max_overflow=0)
    timer = StatementTimer(engine)
    reps = DB_REPS if ctx.scale >= 1 else 10
    registrar = tenant.registrar_context()
    figures: list[DbFigure] = []
    rng = random.Random(3)

    def lookup(session: Any) -> None:
        row = queries.instruction(session, tenant.tenant_id, rng.choice(pools["ids"]))
        if row is None:
            raise RuntimeError("a seeded instruction was not found by id")

    try:
        figures.append(db_times(engine, timer, registrar, "baseline: by primary key", lookup, reps))
        for s in searches:
            figures.append(
                db_times(
                    engine, timer, registrar, s.label, search_call(registrar, rng, s.params), reps
                )
            )
            print(
                f"  DB {s.label}: count {figures[-1].median('count'):.2f} ms, page"
                f" {figures[-1].median('page'):.2f} ms (median of {figures[-1].calls})",
                flush=True,
            )
        handler = tenant.handler_context()
        common = next(s for s in searches if s.key == "common")
        figures.append(
            db_times(
                engine,
                timer,
                handler,
                "q = a common word, as a division's handler",
                search_call(handler, rng, common.params),
                reps,
            )
        )
        plans: dict[str, dict[str, str]] = {}
        for fig in figures:
            for kind in ("count", "page", "lookup"):
                if kind in fig.sample:
                    statement, parameters = fig.sample[kind]
                    plans.setdefault(fig.label, {})[kind] = explain(
                        engine, tenant.tenant_id, statement, parameters
                    )
                    plans[fig.label][f"{kind} SQL"] = statement
    finally:
        engine.dispose()

    print()
    print(_db_table(figures))
    base = figures[0].median("lookup")
    slow = []
    for fig in figures[1:]:
        for kind in ("count", "page"):
            if fig.median(kind) > SLOW_MS:
                slow.append((fig.label, kind))
    for label, kind in slow:
        print(
            f"\n  plan of the {kind} of «{label}» (median {_fig(figures, label).median(kind):.1f} ms):"
        )
        print("    " + compact_plan(plans[label][kind]).replace("\n", "\n    "))
    result["db"] = [f.as_dict() for f in figures]
    result["db_baseline_ms"] = round(base, 3)
    result["plans"] = plans
    result["slow_statements"] = [f"{label}: {kind}" for label, kind in slow]

    # (ii) through the gateway
    ctx.wait_for_service("documents")
    pids = {
        "gateway": ctx.pid("gateway"),
        "documents": ctx.pid("documents"),
        "broker": find_broker_pid(),
    }
    probe = BackendsCpuProbe(pids, psycopg2_dsn(settings.admin_database_url("postgres")), database)
    rng = random.Random(5)

    def by_id() -> str:
        return f"{API}/instructions/{rng.choice(pools['ids'])}"

    async def load() -> list[tuple[Measurement, float]]:
        rows = []
        phases = [("GET /instructions/{id} (baseline)", by_id, "baseline")]
        phases += [(s.http, _path_of(s, rng), s.label) for s in searches]
        phases += [("GET /instructions/{id} (baseline again)", by_id, "baseline again")]
        for http, path, label in phases:
            rows.append(await gateway_phase(ctx, tenant.token, http, path, probe))
            m, p95 = rows[-1]
            print(
                f"  gateway {label}: {m.throughput:.0f} req/s p50 {m.p50_ms:.1f} ms"
                f" p95 {p95:.1f} ms p99 {m.p99_ms:.1f} ms",
                flush=True,
            )
        return rows

    rows = asyncio.run(load())
    print()
    print(format_table([m for m, _ in rows]))
    print(
        "cpu ms/call: CPU time of the load generator (client), the gateway, documents, RabbitMQ"
        " (broker) and the documents database's backends (postgres), per request"
    )
    gw_base, gw_again = rows[0][0], rows[-1][0]
    print(
        f"\n  baseline GET /instructions/{{id}}: p50 {gw_base.p50_ms:.1f} ms p95 {rows[0][1]:.1f} ms"
        f" p99 {gw_base.p99_ms:.1f} ms (after the searches: p50 {gw_again.p50_ms:.1f} ms"
        f" p99 {gw_again.p99_ms:.1f} ms); DB lookup by primary key {base:.2f} ms"
    )
    summary = []
    for s, (m, p95), fig in zip(searches, rows[1:-1], figures[1:], strict=False):
        db = fig.median("count") + fig.median("page")
        if m.calls:
            gateway = (
                f"p50 {m.p50_ms:.0f} ms, p99 {m.p99_ms:.0f} ms through the gateway"
                f" ({m.p99_ms / gw_base.p99_ms:.1f}x the baseline's p99)"
            )
        else:
            gateway = "no answer through the gateway"
        if m.errors:
            gateway += (
                f", {m.errors} of {m.calls + m.errors} failed ({(m.first_error or '')[:60]}…)"
            )
        print(
            f"  {s.label}: {gateway}; DB count + page {db:.1f} ms ({db / base:.0f}x the lookup);"
            f" total median {statistics.median(fig.totals) if fig.totals else 0:,.0f}"
        )
        summary.append(
            {
                "search": s.key,
                "gateway_p50_ms": m.p50_ms,
                "gateway_p95_ms": p95,
                "gateway_p99_ms": m.p99_ms,
                "gateway_rps": m.throughput,
                "errors": m.errors,
                "db_count_ms": round(fig.median("count"), 3),
                "db_page_ms": round(fig.median("page"), 3),
                "db_call_ms": round(fig.median("call"), 3),
                "total_median": statistics.median(fig.totals) if fig.totals else None,
            }
        )
    result["gateway"] = [dict(m.as_dict(), p95_ms=p95) for m, p95 in rows]
    result["summary"] = summary
    result["aim"] = "no aim yet (the issue asks for the figures beside the baseline)"
    return result


def _fig(figures: list[DbFigure], label: str) -> DbFigure:
    return next(f for f in figures if f.label == label)


def _db_table(figures: list[DbFigure]) -> str:
    header = (
        f"{'DB time, ms (median / max)':<44} {'calls':>5} {'count':>15} {'page':>15}"
        f" {'all SQL':>15} {'call':>15} {'total':>9}"
    )
    lines = [header, "-" * len(header)]

    def cell(fig: DbFigure, kind: str) -> str:
        if kind not in fig.ms:
            return f"{'-':>15}"
        return f"{fig.median(kind):>7.2f}/{fig.worst(kind):>7.1f}"

    for fig in figures:
        total = f"{statistics.median(fig.totals):>9,.0f}" if fig.totals else f"{'-':>9}"
        first = "lookup" if "lookup" in fig.ms and "count" not in fig.ms else "count"
        lines.append(
            f"{fig.label[:44]:<44} {fig.calls:>5} {cell(fig, first)} {cell(fig, 'page')}"
            f" {cell(fig, 'all SQL')} {cell(fig, 'call')} {total}"
        )
    lines.append(
        "count: the count(*) total; page: the 20 rows, newest first; all SQL: every statement"
        " of the call (also RLS settings, holds, unit names); call: the domain function with"
        " the ORM. Baseline row: 'count' is the lookup by primary key."
    )
    return "\n".join(lines)
