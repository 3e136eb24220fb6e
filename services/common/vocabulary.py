"""The shared vocabulary of every service and the gateway, declared once.

Roles (角色), urgency (缓急) with its labels and rank, document statuses, opinion
kinds (意见), org-unit kinds, the Asia/Shanghai zone, ``utcnow`` and the strict
pydantic base of every input. Services' schemas and events use these words; so
do their rules and the gateway.

Imports nothing but the standard library and pydantic, so that any schemas or
events module (and the gateway) can use it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

# -- time ---------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
"""The time zone in which calendar days, deadlines and received dates are counted."""


def utcnow() -> dt.datetime:
    """The current instant, in UTC (aware)."""
    return dt.datetime.now(dt.UTC)


# -- contracts ----------------------------------------------------------------------------------


class Strict(BaseModel):
    """Base of every input model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# -- roles --------------------------------------------------------------------------------------


class Role(StrEnum):
    """Roles a user of a tenant may hold (platform_admin is platform-level only)."""

    tenant_admin = "tenant_admin"
    registrar = "registrar"  # 文书/收发员
    handler = "handler"  # 承办人
    division_head = "division_head"  # 处室领导
    office_leader = "office_leader"  # 厅领导
    gov_leader = "gov_leader"  # 省政府领导
    secretary = "secretary"  # 秘书
    supplier = "supplier"  # 供应商
    ops = "ops"  # 运维
    auditor = "auditor"  # 审计
    platform_admin = "platform_admin"


#: the roles a user of a tenant may be given
TENANT_ROLES = frozenset(r for r in Role if r is not Role.platform_admin)
#: leaders who give instructions (批示): 厅领导, 省政府领导
LEADER_ROLES = frozenset({Role.office_leader, Role.gov_leader})
#: roles that see every document of their tenant: the registry, auditors and leaders
SEES_ALL_DOCUMENTS_ROLES = frozenset({Role.registrar, Role.auditor, *LEADER_ROLES})


# -- org units ----------------------------------------------------------------------------------


class OrgUnitKind(StrEnum):
    unit = "unit"  # 单位, e.g. 省政府办公厅 — an organisation of its own
    division = "division"  # 处室, e.g. 文书处
    section = "section"  # 科室


# -- documents ----------------------------------------------------------------------------------


class Urgency(StrEnum):
    """缓急: 特急 / 加急 / 平件 (the Chinese labels are accepted as input too)."""

    extra_urgent = "extra_urgent"  # 特急
    urgent = "urgent"  # 加急
    normal = "normal"  # 平件


URGENCY_LABELS = {Urgency.extra_urgent: "特急", Urgency.urgent: "加急", Urgency.normal: "平件"}
#: sort rank: most urgent first
URGENCY_RANK = {Urgency.extra_urgent: 0, Urgency.urgent: 1, Urgency.normal: 2}


def urgency_rank(urgency: str) -> int:
    """The sort rank of an urgency as stored or sent (an unknown one ranks as 平件)."""
    try:
        return URGENCY_RANK[Urgency(urgency)]
    except ValueError:
        return URGENCY_RANK[Urgency.normal]


class DocumentStatus(StrEnum):
    registered = "registered"  # 已登记, waiting for distribution (待分办)
    distributed = "distributed"  # 已分办, divisions working on it
    completed = "completed"  # 已办结
    archived = "archived"  # 已归档: nothing about it can change any more


class Direction(StrEnum):
    """Which way a document goes: received (收文) or sent out (发文)."""

    incoming = "incoming"
    outgoing = "outgoing"


class OpinionKind(StrEnum):
    proposal = "proposal"  # 拟办意见 (handler)
    review = "review"  # 审核意见 (division head)
    instruction = "instruction"  # 批示 (leader, or a secretary on the leader's behalf)
    handling = "handling"  # 办理情况 (what the handler did)
    return_reason = "return_reason"  # 退回理由
    completion = "completion"  # 办结意见 (registry)
    check = "check"  # 核稿意见 (division head, outgoing)
    countersign = "countersign"  # 会签意见 (another division's head, outgoing)
    issue = "issue"  # 签发意见 (the signing leader, or a secretary on the leader's behalf)
