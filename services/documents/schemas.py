"""The contract of the documents service (公文): pydantic models of its RPC methods.

Shared by the service and the gateway; imports nothing but pydantic and the shared
vocabulary (``services.common.vocabulary``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from services.common.text import TEXT_CHECK
from services.common.vocabulary import (
    URGENCY_LABELS,
    Direction,
    DocumentStatus,
    OpinionKind,
    Strict,
    Urgency,
)


class Secrecy(StrEnum):
    """密级. Only 非密 and 内部 may be stored; 秘密/机密/绝密 are refused (DESIGN 4.7)."""

    none = "none"  # 非密
    internal = "internal"  # 内部
    secret = "secret"  # 秘密 — refused
    confidential = "confidential"  # 机密 — refused
    top_secret = "top_secret"  # 绝密 — refused


SECRECY_LABELS = {
    Secrecy.none: "非密",
    Secrecy.internal: "内部",
    Secrecy.secret: "秘密",
    Secrecy.confidential: "机密",
    Secrecy.top_secret: "绝密",
}
CLASSIFIED = frozenset({Secrecy.secret, Secrecy.confidential, Secrecy.top_secret})


def _from_label(labels: dict[Any, str]) -> Any:
    reverse = {v: k.value for k, v in labels.items()}

    def convert(value: Any) -> Any:
        if isinstance(value, str) and value.strip() in reverse:
            return reverse[value.strip()]
        return value

    return convert


UrgencyIn = Annotated[Urgency, BeforeValidator(_from_label(URGENCY_LABELS))]
SecrecyIn = Annotated[Secrecy, BeforeValidator(_from_label(SECRECY_LABELS))]


Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), TEXT_CHECK
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), TEXT_CHECK
]
OpinionText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)
]


class DocumentRegister(Strict):
    """收文登记: what the registry clerk types from a paper document."""

    title: Title
    source_org: ShortText = Field(description="来文单位")
    doc_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="文号, e.g. 国办发〔2026〕12号")
    received_date: dt.date = Field(description="收文日期 (Asia/Shanghai)")
    urgency: UrgencyIn = Urgency.normal
    secrecy: SecrecyIn = Secrecy.none
    page_count: int = Field(default=1, ge=1, le=10000)
    note: Annotated[str, StringConstraints(max_length=2000), TEXT_CHECK] | None = None

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "国务院办公厅关于加强政务数据共享的通知",
                    "source_org": "国务院办公厅",
                    "doc_number": "国办发〔2026〕12号",
                    "received_date": "2026-11-20",
                    "urgency": "加急",
                    "secrecy": "非密",
                    "page_count": 6,
                }
            ]
        },
    )


class FileOut(BaseModel):
    id: uuid.UUID
    document_id: uuid.UUID
    filename: str = Field(description="the name the uploader gave (display only)")
    content_type: str = Field(description="sniffed from the bytes")
    size: int
    sha256: str
    uploaded_by: uuid.UUID
    uploaded_at: dt.datetime
    role: str = Field(
        default="scan", description="scan (扫描件) | body (发文正文) | attachment (附件)"
    )
    version: int | None = Field(default=None, description="a body's version (1, 2, …)")


class DocumentOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    direction: Direction = Field(
        default=Direction.incoming, description="incoming (收文) | outgoing (发文)"
    )
    title: str
    source_org: str
    doc_number: str | None
    received_date: dt.date
    urgency: Urgency
    secrecy: Secrecy
    page_count: int
    note: str | None
    status: DocumentStatus
    registry_unit_id: uuid.UUID = Field(description="the registry (文书处) that registered it")
    registered_by: uuid.UUID
    registered_at: dt.datetime
    lead_unit_id: uuid.UUID | None = Field(default=None, description="主办处室")
    assisting_unit_ids: list[uuid.UUID] = Field(default_factory=list, description="协办处室")
    is_leader_instruction: bool = False
    overdue: bool = Field(default=False, description="red flag: some division missed its deadline")
    completed_at: dt.datetime | None = None
    archived_at: dt.datetime | None = None
    files: list[FileOut] = Field(default_factory=list)
    forwarded_at: dt.datetime | None = Field(default=None, description="已转办: when")
    forwarded_to: list[ForwardedToOut] = Field(default_factory=list, description="转办 to whom")
    forwarding_slip: ForwardingSlipOut | None = Field(
        default=None, description="转办笺: this document came forwarded by another unit"
    )


class OpinionOut(BaseModel):
    id: uuid.UUID
    seq: int = Field(description="order on the processing slip")
    kind: OpinionKind
    text: str
    author_id: uuid.UUID
    author_name: str
    on_behalf_of_id: uuid.UUID | None = Field(default=None, description="代领导批示: the leader")
    on_behalf_of_name: str | None = None
    org_unit_id: uuid.UUID | None
    step: str | None
    created_at: dt.datetime
    instruction_id: uuid.UUID | None = Field(default=None, description="批示: its record")
    instruction_number: str | None = Field(default=None, description="批示: 领导批示编号")
    attribution: str | None = Field(default=None, description="代录: e.g. 秘书 孙秘书 代录")


class TraceEntryOut(BaseModel):
    seq: int
    occurred_at: dt.datetime
    action: str
    actor_id: uuid.UUID | None
    on_behalf_of: uuid.UUID | None
    detail: dict[str, Any] | None


class ProcessingSlipOut(BaseModel):
    """处理笺: the document with every opinion in order and the full trace."""

    document: DocumentOut
    opinions: list[OpinionOut]
    trace: list[TraceEntryOut]


class DocumentSearch(Strict):
    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="words of the title (Chinese included)")
    doc_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = None
    source_org: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), TEXT_CHECK] | None
    ) = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    status: DocumentStatus | None = None
    unit_id: uuid.UUID | None = Field(default=None, description="distributed to this division")
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    total: int
    limit: int
    offset: int


class FileAttach(Strict):
    """What the gateway reports after streaming an upload into the staging area."""

    staging_key: Annotated[str, StringConstraints(min_length=1, max_length=300), TEXT_CHECK]
    filename: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), TEXT_CHECK
    ]
    size: int = Field(ge=1)
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"), TEXT_CHECK]
    content_type: Annotated[str, StringConstraints(max_length=100), TEXT_CHECK]


class FileDownload(BaseModel):
    file_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    bucket: str
    object_key: str
    url: str | None = Field(default=None, description="short-lived presigned link")
    url_expires_at: dt.datetime | None = None


class AuditVerification(BaseModel):
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


# -- delivery through the platform: sending, the inbox (收文箱), signing for (签收) -------------


class Recipient(Strict):
    """A recipient unit (收文单位): an org unit (its registry) of this tenant or of another.

    The tenant is given by its code or its id; neither means the sender's own tenant."""

    tenant_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), TEXT_CHECK] | None
    ) = Field(default=None, description="the recipient's tenant, e.g. gz (default: one's own)")
    tenant_id: uuid.UUID | None = None
    unit_id: uuid.UUID = Field(description="the recipient unit, usually its registry (文书处)")


class SendRequest(Strict):
    """发送: a registered document to the registries of other units through the platform."""

    recipients: list[Recipient] = Field(min_length=1, max_length=100)
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), TEXT_CHECK] | None
    ) = Field(default=None, description="附言 (becomes the received document's note)")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "recipients": [
                        {"tenant_code": "gz", "unit_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
                        {"unit_id": "9b2e4c1a-0d7f-4f5e-8a51-2b0c7d6e9f10"},
                    ],
                    "note": "请查收",
                }
            ]
        },
    )


class DeliveryOut(BaseModel):
    """Where one copy went: the inbox item written in the recipient's tenant."""

    inbox_item_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_code: str
    tenant_name: str
    unit_id: uuid.UUID
    unit_name: str


class SendOut(BaseModel):
    document_id: uuid.UUID
    sent_at: dt.datetime
    sent_by: uuid.UUID
    deliveries: list[DeliveryOut]


class InboxStatus(StrEnum):
    pending = "pending"  # 待签收
    signed = "signed"  # 已签收
    refused = "refused"  # 已退回 (拒收)


class InboxFileOut(BaseModel):
    """A scan as it was sent (it is copied into the recipient's document on 签收)."""

    filename: str
    content_type: str
    size: int
    sha256: str


class InboxItemOut(BaseModel):
    id: uuid.UUID
    status: InboxStatus
    recipient_unit_id: uuid.UUID
    title: str
    doc_number: str | None
    source_org: str = Field(description="来文单位: the sending organisation")
    urgency: Urgency
    secrecy: Secrecy
    page_count: int
    received_date: dt.date = Field(description="the day it arrived (Asia/Shanghai)")
    note: str | None
    sender_tenant_code: str
    sender_tenant_name: str
    sender_unit_name: str
    sent_by_name: str | None
    sent_at: dt.datetime
    files: list[InboxFileOut]
    signed_by: uuid.UUID | None = None
    signed_at: dt.datetime | None = None
    document_id: uuid.UUID | None = Field(
        default=None, description="the incoming document made by 签收"
    )
    urged_at: dt.datetime | None = Field(default=None, description="催签: the sender's last urge")
    urge_count: int = 0
    refused_by: uuid.UUID | None = None
    refused_at: dt.datetime | None = None
    refusal_reason: str | None = None
    forwarding_slip: ForwardingSlipOut | None = Field(
        default=None, description="转办笺: the document is forwarded (转办) by the sender"
    )


class InboxQuery(Strict):
    status: InboxStatus | None = Field(default=None, description="default: every item")
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class InboxPage(BaseModel):
    items: list[InboxItemOut]
    total: int
    limit: int
    offset: int


class InboxRefusal(Strict):
    """拒收 / 退回: why the registry does not take the document."""

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), TEXT_CHECK
    ]


# -- leader instructions (领导批示): numbers, search, export --------------------------------------

#: 省政府领导: numbered by hand by the secretary; 厅领导: the system's serial per leader and year
LeaderKind = Annotated[str, StringConstraints(pattern=r"^(gov_leader|office_leader)$")]

InstructionNumberText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), TEXT_CHECK
]


class InstructionOut(BaseModel):
    """One leader's instruction (批示) on a document, as the slip shows it."""

    id: uuid.UUID
    document_id: uuid.UUID
    document_title: str
    doc_number: str | None = Field(description="the document's 文号")
    document_status: DocumentStatus
    forwarded: bool = Field(default=False, description="已转办")
    leader_id: uuid.UUID
    leader_name: str | None
    leader_kind: LeaderKind
    year: int = Field(description="the year it counts in (Asia/Shanghai)")
    serial: int | None = Field(default=None, description="厅领导: the system's serial number")
    number: str | None = Field(
        default=None,
        description="领导批示编号 as shown: a 厅领导's serial with the leader's format, or "
        "the number the secretary gave a 省政府领导's instruction (None: not numbered yet)",
    )
    text: str
    instructed_at: dt.datetime
    entered_by_id: uuid.UUID = Field(description="who typed it: the leader, or the secretary")
    entered_by_name: str | None
    on_behalf: bool = Field(description="代领导批示: entered by a secretary under a delegation")
    attribution: str | None = Field(
        default=None, description="e.g. 秘书 孙秘书 代录 (None when the leader entered it)"
    )
    unit_id: uuid.UUID | None = Field(default=None, description="the division whose route it is on")
    unit_name: str | None = None
    task_id: uuid.UUID | None = None
    stands: str = Field(default="", description="where the document now stands, e.g. 办理中：…")


class InstructionSearch(Strict):
    number: InstructionNumberText | None = Field(
        default=None, description="领导批示编号, as shown (e.g. 省长批〔2026〕118号 or 12)"
    )
    leader_id: uuid.UUID | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)
    since: dt.date | None = Field(default=None, description="instructed on or after (Shanghai)")
    until: dt.date | None = Field(default=None, description="instructed on or before (Shanghai)")
    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="words of the instruction or of the document's title")
    on_behalf: bool | None = Field(default=None, description="true: only 代录 instructions")
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class InstructionPage(BaseModel):
    items: list[InstructionOut]
    total: int = Field(description="how many match, counted up to 10,000")
    total_capped: bool = Field(default=False, description="at least `total` match (10,000+)")
    limit: int
    offset: int


class InstructionExportQuery(Strict):
    """All instructions of one leader for a year, or a date range within it."""

    leader_id: uuid.UUID
    year: int | None = Field(default=None, ge=2000, le=2100)
    since: dt.date | None = None
    until: dt.date | None = None


class MonthCount(BaseModel):
    month: str = Field(description="YYYY-MM (Asia/Shanghai)")
    count: int


class DivisionCount(BaseModel):
    unit_id: uuid.UUID | None
    unit_name: str
    count: int


class InstructionExportOut(BaseModel):
    """All instructions of one leader in a period, and the counts per month and division."""

    leader_id: uuid.UUID
    leader_name: str | None
    since: dt.date
    until: dt.date
    items: list[InstructionOut]
    by_month: list[MonthCount]
    by_division: list[DivisionCount]


class InstructionNumbering(Strict):
    """The number a secretary gives a 省政府领导's instruction (unique per leader and year)."""

    number: InstructionNumberText


class InstructionNumberCheck(Strict):
    leader_id: uuid.UUID
    number: InstructionNumberText
    at: dt.datetime | None = None


class SerialFormat(Strict):
    """How a 厅领导's serial numbers are shown: ``{n}`` is the number, ``{year}`` the year,
    e.g. ``厅批〔{year}〕{n}号``; the default ``{n}`` shows the plain serial."""

    serial_format: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=3, max_length=60, pattern=r"\{n\}"),
        TEXT_CHECK,
    ]


class LeaderNumberingOut(BaseModel):
    leader_id: uuid.UUID
    serial_format: str
    example: str = Field(description="how the next number would look")


class OpenTaskOut(BaseModel):
    """Where a document stands: one open task (who holds it, until when)."""

    task_id: uuid.UUID
    step: str | None
    unit_id: uuid.UUID | None
    assignee_id: uuid.UUID | None = Field(description="None: pooled to the division")
    due_at: dt.datetime | None
    overdue: bool


class DocumentProgressOut(BaseModel):
    """我的批示: a document I instructed on, my instructions and how far handling has got."""

    document_id: uuid.UUID
    title: str
    doc_number: str | None
    status: DocumentStatus
    forwarded: bool
    overdue: bool
    instructions: list[InstructionOut]
    open_tasks: list[OpenTaskOut]


class ProgressPage(BaseModel):
    items: list[DocumentProgressOut]
    total: int
    limit: int
    offset: int


class ProgressQuery(Strict):
    open_only: bool = Field(default=False, description="only documents still being handled")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


# -- the scope of a leader-instruction document (知悉范围) ----------------------------------------


class ScopeAddition(Strict):
    user_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class ScopePersonOut(BaseModel):
    user_id: uuid.UUID
    reason: str = Field(description="route (on its route) | scope (added) | circulation")
    added_by: uuid.UUID | None = None
    added_at: dt.datetime | None = None


class ScopeOut(BaseModel):
    document_id: uuid.UUID
    restricted: bool = Field(description="a 领导批示件: only its scope may see it")
    default_roles: list[str] = Field(description="roles that see it anyway")
    people: list[ScopePersonOut]


# -- forwarding (转办 / 限制转办) -------------------------------------------------------------------

#: the fixed notice of a forwarding slip of a leader-instruction document (seed 000)
FORWARDING_NOTICE = "此件系内部资料，严格控制知悉范围，严禁在互联网端存储或传输"


class ForwardRequest(Strict):
    """转办: the holder sends the document on to other units through the platform."""

    title: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), TEXT_CHECK
    ] = Field(description="the forwarding slip's title (copied from the processing slip)")
    recipients: list[Recipient] = Field(min_length=1, max_length=50)
    note: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), TEXT_CHECK] | None
    ) = Field(default=None, description="转办意见 on the forwarding slip")


class ForwardingSlipOut(BaseModel):
    """转办笺: what travels with a forwarded document."""

    title: str
    notice: str | None = Field(description="the fixed notice (限制转办 of a 领导批示件 only)")
    restricted: bool
    note: str | None
    from_tenant_name: str
    from_unit_name: str
    forwarded_by_name: str | None
    forwarded_at: dt.datetime
    #: plain 转办 only: the original processing slip's opinions, as they were
    opinions: list[dict[str, Any]] = Field(default_factory=list)


class ForwardedToOut(BaseModel):
    tenant_name: str
    unit_name: str
    inbox_item_id: uuid.UUID


class ForwardOut(BaseModel):
    document_id: uuid.UUID
    forwarded_at: dt.datetime
    restricted: bool
    slip: ForwardingSlipOut
    deliveries: list[DeliveryOut]


# -- the address book of delivery (通讯录: units of this tenant and others) ---------------------------


class AddressBookQuery(Strict):
    tenant_code: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), TEXT_CHECK] | None
    ) = Field(default=None, description="one tenant's units (default: every tenant's)")
    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="words of the unit's name")
    limit: int = Field(default=200, ge=1, le=500)


class AddressEntryOut(BaseModel):
    """A unit documents can be delivered to (its registry receives them)."""

    tenant_id: uuid.UUID
    tenant_code: str
    tenant_name: str
    unit_id: uuid.UUID
    unit_name: str
    kind: str
    own_tenant: bool


class AddressTenantOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    parent_id: uuid.UUID | None


class AddressBookOut(BaseModel):
    tenants: list[AddressTenantOut]
    units: list[AddressEntryOut]


DocumentOut.model_rebuild()
InboxItemOut.model_rebuild()


# -- series of document numbers (发文字号, GB/T 9704-2012) ----------------------------------------

SeriesPrefix = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30), TEXT_CHECK
]


class SeriesCreate(Strict):
    """A unit's series, e.g. 黔府办函 or 黔府办发 (its registry numbers in it)."""

    unit_id: uuid.UUID = Field(description="the unit (单位) whose series it is")
    prefix: SeriesPrefix = Field(description="机关代字, e.g. 黔府办函 (no year, no 〔〕, no 号)")
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="e.g. 省政府办公厅函")


class SeriesYear(Strict):
    year: int | None = Field(default=None, ge=2000, le=2100, description="default: this year")


class SeriesOut(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str | None
    prefix: str
    name: str | None
    active: bool
    year: int = Field(description="this year (Asia/Shanghai)")
    last_n: int = Field(description="the last number given this year (0: none yet)")
    next_number: str = Field(description="the number the next document would get")


class NumberReserve(Strict):
    """预留: the next number, e.g. for a document issued on paper."""

    purpose: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), TEXT_CHECK
    ] = Field(description="what it is for (the paper document's title)")


class NumberVoid(Strict):
    """作废: a reserved or assigned number, with the reason (it is never given again)."""

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), TEXT_CHECK
    ]


class NumberState(StrEnum):
    assigned = "assigned"  # 已使用
    reserved = "reserved"  # 已预留
    voided = "voided"  # 已作废


class DocumentNumberOut(BaseModel):
    id: uuid.UUID
    series_id: uuid.UUID
    year: int
    n: int
    number: str = Field(examples=["黔府办函〔2026〕65号"])
    state: NumberState
    document_id: uuid.UUID | None
    purpose: str | None
    given_by: uuid.UUID
    given_at: dt.datetime
    voided_by: uuid.UUID | None = None
    voided_at: dt.datetime | None = None
    void_reason: str | None = None


class SeriesYearOut(BaseModel):
    """Every number of a series in a year, so that it can be accounted for: 1…last_n,
    each assigned, reserved or voided — no hole."""

    series: SeriesOut
    year: int
    last_n: int
    counts: dict[str, int]
    numbers: list[DocumentNumberOut]


# -- outgoing documents (发文) ---------------------------------------------------------------------


class OutgoingStage(StrEnum):
    """Where an outgoing document stands: the step of its route that is open."""

    draft = "draft"  # 拟稿
    check = "check"  # 核稿
    countersign = "countersign"  # 会签
    issue = "issue"  # 签发
    number = "number"  # 编号
    seal = "seal"  # 用印
    dispatch = "dispatch"  # 分发
    archive = "archive"  # 归档 (dispatched, waiting to be archived)
    archived = "archived"  # 已归档


#: the order of the stages (a later one was passed through the earlier ones)
OUTGOING_STAGES = list(OutgoingStage)


class OutgoingCreate(Strict):
    """拟稿: a handler starts an outgoing document (its body and attachments are uploaded
    afterwards, each upload of the body a new version)."""

    title: Title
    main_to: list[Recipient] = Field(
        min_length=1, max_length=100, description="主送: the units it is addressed to"
    )
    copy_to: list[Recipient] = Field(default_factory=list, max_length=100, description="抄送")
    urgency: UrgencyIn = Urgency.normal
    secrecy: SecrecyIn = Secrecy.none
    series_id: uuid.UUID | None = Field(
        default=None, description="the series it will be numbered in (发文字号), e.g. 黔府办函"
    )
    note: Annotated[str, StringConstraints(max_length=2000), TEXT_CHECK] | None = Field(
        default=None, description="拟稿说明"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "关于做好2027年元旦春节期间值班工作的通知",
                    "main_to": [{"unit_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}],
                    "copy_to": [],
                    "urgency": "平件",
                    "secrecy": "非密",
                }
            ]
        },
    )


class OutgoingUpdate(Strict):
    """Changes to a draft (while it is at 拟稿 or 核稿; what is left out stays)."""

    title: Title | None = None
    main_to: list[Recipient] | None = Field(default=None, min_length=1, max_length=100)
    copy_to: list[Recipient] | None = Field(default=None, max_length=100)
    urgency: UrgencyIn | None = None
    secrecy: SecrecyIn | None = None
    series_id: uuid.UUID | None = None
    note: Annotated[str, StringConstraints(max_length=2000), TEXT_CHECK] | None = None


class RecipientOut(BaseModel):
    tenant_id: uuid.UUID
    tenant_code: str
    tenant_name: str
    unit_id: uuid.UUID
    unit_name: str


class BodyVersionOut(BaseModel):
    """A version of the body (正文): every upload is kept."""

    file_id: uuid.UUID
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID
    uploaded_by_name: str | None = None
    uploaded_at: dt.datetime


class OutgoingOut(BaseModel):
    id: uuid.UUID
    tenant_id: uuid.UUID
    title: str
    urgency: Urgency
    secrecy: Secrecy
    note: str | None
    stage: OutgoingStage
    drafting_unit_id: uuid.UUID
    drafting_unit_name: str | None
    drafter_id: uuid.UUID
    drafter_name: str | None
    drafted_at: dt.datetime
    registry_unit_id: uuid.UUID = Field(description="the registry that numbers and dispatches it")
    main_to: list[RecipientOut]
    copy_to: list[RecipientOut]
    series_id: uuid.UUID | None
    series_prefix: str | None
    number: str | None = Field(description="发文字号 once numbered, e.g. 黔府办函〔2026〕65号")
    number_id: uuid.UUID | None
    signer_id: uuid.UUID | None = Field(description="the leader who signed (签发)")
    signer_name: str | None
    issued_at: dt.datetime | None
    issue_entered_by: uuid.UUID | None = Field(
        description="a secretary who entered the issue on the leader's behalf"
    )
    issue_entered_by_name: str | None
    sealed_at: dt.datetime | None
    sealed_by: uuid.UUID | None
    sealed_by_name: str | None
    seal_note: str | None
    dispatched_at: dt.datetime | None
    dispatched_by: uuid.UUID | None
    archived_at: dt.datetime | None
    body_versions: list[BodyVersionOut] = Field(description="newest first")
    attachments: list[FileOut]


class OutgoingQuery(Strict):
    stage: OutgoingStage | None = None
    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="words of the title, or the number")
    limit: int = Field(default=20, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class OutgoingSummaryOut(BaseModel):
    id: uuid.UUID
    title: str
    urgency: Urgency
    stage: OutgoingStage
    number: str | None
    drafting_unit_name: str | None
    drafter_name: str | None
    drafted_at: dt.datetime
    issued_at: dt.datetime | None


class OutgoingPage(BaseModel):
    items: list[OutgoingSummaryOut]
    total: int
    limit: int
    offset: int


class OutgoingStepCheck(Strict):
    """What the gateway asks before an outgoing step's action is taken."""

    action: Literal["issue", "number", "seal", "dispatch"]
    series_id: uuid.UUID | None = Field(
        default=None, description="number: the series to number in (default: the draft's)"
    )


class OutgoingStepOut(BaseModel):
    document_id: uuid.UUID
    task_id: uuid.UUID | None = Field(description="the open task of the step")
    done: bool = Field(
        default=False,
        description="documents did it itself: a number voided before dispatch was given anew",
    )


class ReceiptOut(BaseModel):
    """签收回执: one recipient unit's copy of a dispatched document."""

    inbox_item_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_code: str
    tenant_name: str
    unit_id: uuid.UUID
    unit_name: str
    is_copy: bool = Field(description="True: 抄送; False: 主送")
    status: InboxStatus
    sent_at: dt.datetime
    signed_at: dt.datetime | None
    signed_by_name: str | None
    refused_at: dt.datetime | None
    refused_by_name: str | None
    refusal_reason: str | None
    urged_at: dt.datetime | None
    urge_count: int
    superseded: bool = Field(description="a refused copy sent again (the newer copy is listed)")


class ReceiptsOut(BaseModel):
    document_id: uuid.UUID
    number: str | None
    dispatched_at: dt.datetime | None
    counts: dict[str, int] = Field(description="pending / signed / refused, current copies")
    receipts: list[ReceiptOut]


class ReceiptUrge(Strict):
    message: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), TEXT_CHECK] | None
    ) = None


class RegisterQuery(Strict):
    year: int | None = Field(default=None, ge=2000, le=2100, description="default: this year")
    q: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), TEXT_CHECK] | None
    ) = Field(default=None, description="words of the title, the number, the signer or a recipient")


class RegisterRowOut(BaseModel):
    """One line of the 发文登记簿."""

    n: int
    number: str
    state: NumberState
    document_id: uuid.UUID | None
    title: str | None = Field(description="the document's title, or what a reserved number is for")
    issued_at: dt.datetime | None
    issued_on: dt.date | None = Field(description="the day issued (Asia/Shanghai)")
    signer_name: str | None
    recipients: list[str] = Field(description="主送 then 抄送 unit names")
    status: str = Field(description="已分发 / 待分发 / 已预留 / 已作废 …")
    void_reason: str | None


class RegisterOut(BaseModel):
    series: SeriesOut
    year: int
    total: int
    rows: list[RegisterRowOut]
