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


# -- 服务站点运维: each city's operations report of a month --------------------------------------


class SiteReportIn(BaseModel):
    """A city's operations team reports a month that has ended (its `ops` role)."""

    month: str = Field(pattern=MONTH_PATTERN)
    availability: float = Field(ge=0, le=100, description="站点可用率 in percent")
    incidents: int = Field(ge=0, le=100_000, description="故障数")
    tickets_opened: int = Field(ge=0, le=1_000_000, description="工单受理数")
    tickets_closed: int = Field(ge=0, le=1_000_000, description="工单办结数")
    mean_response_minutes: float = Field(ge=0, le=100_000, description="平均响应时间 (分钟)")
    note: str | None = Field(default=None, max_length=500)
    #: replace the month's report: only with this set and a reason (kept in history)
    correction: bool = False
    correction_reason: str | None = Field(default=None, max_length=500)


class SiteReportOut(BaseModel):
    tenant_id: uuid.UUID
    tenant_name: str
    month: str
    version: int  # 1 = the first report; each correction adds one
    availability: float
    incidents: int
    tickets_opened: int
    tickets_closed: int
    mean_response_minutes: float
    note: str | None = None
    correction_reason: str | None = None
    reported_by: uuid.UUID
    reported_at: str  # ISO instant (UTC)


class SiteReportQuery(BaseModel):
    month: str = Field(pattern=MONTH_PATTERN)


class SiteReportHistoryQuery(BaseModel):
    month: str = Field(pattern=MONTH_PATTERN)
    tenant_id: uuid.UUID


class SiteReportLine(BaseModel):
    tenant_id: uuid.UUID
    tenant_name: str
    reported: bool
    report: SiteReportOut | None = None


class SiteSummary(BaseModel):
    """The province summary of the reports in: availability and response time averaged
    over the cities that reported, counts added up."""

    reported: int
    missing: int
    availability: float | None
    incidents: int
    tickets_opened: int
    tickets_closed: int
    mean_response_minutes: float | None


class SiteReportBoard(BaseModel):
    month: str
    scope_name: str
    lines: list[SiteReportLine]  # every city, reported or missing
    missing: list[str]  # the names of the cities that have not reported
    summary: SiteSummary


class SiteReportHistory(BaseModel):
    tenant_id: uuid.UUID
    month: str
    versions: list[SiteReportOut]  # oldest first; the last one is in force
