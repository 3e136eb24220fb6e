"""Contracts of the metrics service (运维指标数据 — 应用情况): the monthly application
indicators of a province's departments, cities and units. The gateway imports these."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, Field

#: a month as ``YYYY-MM`` (Asia/Shanghai calendar months)
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class IndicatorLevel(StrEnum):
    department = "department"  # 省直部门: units of kind unit directly in the province's tenant
    city = "city"  # 市州: tenants whose parent is the province (Gui'an New Area among them)
    unit = "unit"  # 单位: every unit of kind unit in the province


LEVEL_LABELS = {
    IndicatorLevel.department: "省直部门",
    IndicatorLevel.city: "市州",
    IndicatorLevel.unit: "单位",
}


class IndicatorQuery(BaseModel):
    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM (Asia/Shanghai)")
    level: IndicatorLevel = IndicatorLevel.city


class TrendQuery(BaseModel):
    month: str = Field(pattern=MONTH_PATTERN, description="the last month of the 12")
    level: IndicatorLevel = IndicatorLevel.city
    key: uuid.UUID = Field(description="the unit's id (department, unit) or the city's tenant id")


class IndicatorFigures(BaseModel):
    """One month's figures of one department, city or unit."""

    registered_users: int  # 用户数量: active accounts at the month's end
    active_users: int  # 登录用户数: of those, who signed in during the month
    login_rate: float | None  # 登录率 in percent, 2 decimals (None: no registered user)
    login_rate_label: str  # "85.27%" or "—"
    documents_received: int  # 收文数
    documents_sent: int  # 发文数
    documents_processed: int  # 办结数
    items_started: int  # 事务发起数 (to-dos created)
    documents_overdue: int  # 超期公文数
    overdue_share: float | None  # 超期率 in percent, 2 decimals (None: no document handled)
    overdue_share_label: str


class IndicatorRow(IndicatorFigures):
    key: uuid.UUID
    name: str
    city: str | None = None  # the city (tenant) a unit belongs to, for the unit level
    rank: int  # 排名 by login rate (ties share a rank)


class IndicatorTable(BaseModel):
    month: str
    level: IndicatorLevel
    level_label: str
    scope_name: str  # the province, or the city its ops see
    rows: list[IndicatorRow]
    total: IndicatorFigures  # the whole scope


class TrendPoint(IndicatorFigures):
    month: str


class IndicatorTrend(BaseModel):
    key: uuid.UUID
    name: str
    level: IndicatorLevel
    points: list[TrendPoint]  # 12 months, oldest first
