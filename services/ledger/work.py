"""Use cases of the supplier work ledger (专项工作台账, DESIGN 6; seed 000 电子政务网工作台账管理).

* The e-government division's staff (:data:`~services.ledger.rules.MANAGER_ROLES`)
  register suppliers with their people (users of the tenant holding the ``supplier``
  role, each in one supplier at most) and keep the work items: create, edit, change the
  status (未开始, 进行中, 已完成, 已延期, 已暂停).
* A supplier's people post progress updates on their company's items (a percentage and
  what was done); each update, each status change and each edit goes into the item's
  history (append-only), in the transaction of the change.
* An item past its planned end (Shanghai day) and neither done nor suspended shows as
  已延期 with ``delayed: true`` by itself (:func:`~services.ledger.rules.is_delayed`).
* Who sees what: the tenant's staff see all its items; a supplier's people only their
  company's (another's is 404 to them; a user with the ``supplier`` role in no supplier
  sees none).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.objectstore import bucket_name
from services.common.vocabulary import Role, utcnow
from services.ledger import rules
from services.ledger.models import Attachment, History, Item, Supplier, SupplierMember
from services.ledger.remote import Directory
from services.ledger.schemas import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    HistoryKind,
    HistoryOut,
    ItemCreate,
    ItemOut,
    ItemPage,
    ItemQuery,
    ItemStatus,
    ItemUpdate,
    LedgerFileDownload,
    LedgerFileIn,
    MonthlySummary,
    Priority,
    ProgressFileOut,
    ProgressIn,
    StatusIn,
    SupplierCreate,
    SupplierMonth,
    SupplierOut,
    SupplierUpdate,
)
from services.ledger.schemas import (
    SupplierMember as MemberOut,
)


def _me(ctx: CallContext) -> tuple[uuid.UUID, uuid.UUID]:
    user_id = ctx.require_user()
    return ctx.require_tenant(), user_id


def today() -> dt.date:
    return rules.shanghai_day(utcnow())


def _name_of(directory: Directory, user_id: uuid.UUID) -> str:
    user = directory.user(user_id)
    return str(user["full_name"]) if user else ""


# -- suppliers --------------------------------------------------------------------------------------


def _supplier_out(session: Session, supplier: Supplier) -> SupplierOut:
    members = session.scalars(
        select(SupplierMember)
        .where(SupplierMember.supplier_id == supplier.id)
        .order_by(SupplierMember.name)
    ).all()
    return SupplierOut(
        id=supplier.id,
        name=supplier.name,
        contact=supplier.contact,
        note=supplier.note,
        active=supplier.active,
        members=[MemberOut(user_id=m.user_id, name=m.name) for m in members],
        created_at=supplier.created_at,
        updated_at=supplier.updated_at,
    )


def _supplier_people(
    directory: Directory, user_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    out: list[tuple[uuid.UUID, str]] = []
    for user_id in dict.fromkeys(user_ids):
        user = directory.user(user_id)
        if not user or not user.get("active") or Role.supplier not in (user.get("roles") or []):
            raise InvalidInput(
                "not_a_supplier_user", f"用户 {user_id} 不是本单位有效的供应商用户（supplier 角色）"
            )
        out.append((user_id, str(user["full_name"])))
    return out


def _set_members(
    session: Session,
    tenant_id: uuid.UUID,
    supplier_id: uuid.UUID,
    people: list[tuple[uuid.UUID, str]],
) -> None:
    session.execute(delete(SupplierMember).where(SupplierMember.supplier_id == supplier_id))
    session.flush()
    for user_id, name in people:
        taken = session.scalar(
            select(SupplierMember.supplier_id).where(
                SupplierMember.tenant_id == tenant_id, SupplierMember.user_id == user_id
            )
        )
        if taken is not None:
            raise Conflict("user_in_other_supplier", f"{name} 已属于另一家供应商")
        session.add(
            SupplierMember(supplier_id=supplier_id, user_id=user_id, tenant_id=tenant_id, name=name)
        )
    session.flush()


def _name_free(session: Session, tenant_id: uuid.UUID, name: str, but: uuid.UUID | None) -> None:
    found = session.scalar(
        select(Supplier.id).where(Supplier.tenant_id == tenant_id, Supplier.name == name)
    )
    if found is not None and found != but:
        raise Conflict("supplier_name_taken", f"已有名为「{name}」的供应商")


def create_supplier(
    session: Session, ctx: CallContext, directory: Directory, req: SupplierCreate
) -> SupplierOut:
    tenant_id, _ = _me(ctx)
    rules.require_manager(ctx.roles)
    people = _supplier_people(directory, req.user_ids)
    _name_free(session, tenant_id, req.name, None)
    now = utcnow()
    supplier = Supplier(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        name=req.name,
        contact=req.contact,
        note=req.note,
        active=True,
        created_at=now,
        updated_at=now,
    )
    with _unique_guard(session):
        session.add(supplier)
        session.flush()
        _set_members(session, tenant_id, supplier.id, people)
        out = _supplier_out(session, supplier)
        session.commit()
    return out


@contextlib.contextmanager
def _unique_guard(session: Session) -> Iterator[None]:
    """A concurrent request took the name or the person first (a unique index refused
    the row): 409, nothing written."""
    try:
        yield
    except IntegrityError:
        session.rollback()
        raise Conflict("ledger_conflict", "数据已被他人修改，请刷新后重试") from None


def update_supplier(
    session: Session,
    ctx: CallContext,
    directory: Directory,
    supplier_id: uuid.UUID,
    req: SupplierUpdate,
) -> SupplierOut:
    tenant_id, _ = _me(ctx)
    rules.require_manager(ctx.roles)
    supplier = _supplier(session, tenant_id, supplier_id)
    people = _supplier_people(directory, req.user_ids) if req.user_ids is not None else None
    if req.name is not None:
        _name_free(session, tenant_id, req.name, supplier.id)
        supplier.name = req.name
    if req.contact is not None:
        supplier.contact = req.contact
    if req.note is not None:
        supplier.note = req.note
    if req.active is not None:
        supplier.active = req.active
    supplier.updated_at = utcnow()
    with _unique_guard(session):
        if people is not None:
            _set_members(session, tenant_id, supplier.id, people)
        session.flush()
        out = _supplier_out(session, supplier)
        session.commit()
    return out


def _supplier(session: Session, tenant_id: uuid.UUID, supplier_id: uuid.UUID) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or supplier.tenant_id != tenant_id:
        raise NotFound("supplier_not_found", "no such supplier")
    return supplier


def _my_supplier(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> uuid.UUID | None:
    return session.scalar(
        select(SupplierMember.supplier_id).where(
            SupplierMember.tenant_id == tenant_id, SupplierMember.user_id == user_id
        )
    )


def list_suppliers(session: Session, ctx: CallContext) -> list[SupplierOut]:
    tenant_id, user_id = _me(ctx)
    query = select(Supplier).where(Supplier.tenant_id == tenant_id).order_by(Supplier.name)
    if rules.is_supplier(ctx.roles):
        query = query.where(Supplier.id == _my_supplier(session, tenant_id, user_id))
    return [_supplier_out(session, s) for s in session.scalars(query).all()]


# -- items ------------------------------------------------------------------------------------------


def _history_out(row: History, files: Sequence[Attachment] = ()) -> HistoryOut:
    return HistoryOut(
        attachments=[
            ProgressFileOut(id=f.id, filename=f.filename, content_type=f.content_type, size=f.size)
            for f in files
        ],
        id=row.id,
        kind=HistoryKind(row.kind),
        author_id=row.author_id,
        author_name=row.author_name,
        percent=row.percent,
        text=row.text,
        status_from=ItemStatus(row.status_from) if row.status_from else None,
        status_to=ItemStatus(row.status_to) if row.status_to else None,
        created_at=row.created_at,
    )


def item_out(
    item: Item,
    supplier_name: str,
    ctx: CallContext,
    mine: uuid.UUID | None,
    on: dt.date,
    history: Sequence[History] = (),
    files: Mapping[uuid.UUID, Sequence[Attachment]] | None = None,
) -> ItemOut:
    files = files or {}
    shown = rules.shown_status(item.status, item.planned_end, on)
    status = ItemStatus(item.status)
    supplier_side = rules.is_supplier(ctx.roles)
    return ItemOut(
        id=item.id,
        title=item.title,
        description=item.description,
        project=item.project,
        supplier_id=item.supplier_id,
        supplier_name=supplier_name,
        supplier_person_id=item.supplier_person_id,
        supplier_person_name=item.supplier_person_name,
        owner_id=item.owner_id,
        owner_name=item.owner_name,
        planned_start=item.planned_start,
        planned_end=item.planned_end,
        priority=Priority(item.priority),
        priority_label=PRIORITY_LABELS[Priority(item.priority)],
        status=status,
        shown_status=shown,
        shown_status_label=STATUS_LABELS[shown],
        delayed=shown is ItemStatus.delayed,
        percent=item.percent,
        last_progress_at=item.last_progress_at,
        last_progress_text=item.last_progress_text,
        completed_at=item.completed_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
        can_update_progress=(
            supplier_side
            and mine == item.supplier_id
            and status not in (ItemStatus.done, ItemStatus.suspended)
        ),
        can_manage=rules.can_manage(ctx.roles),
        history=[_history_out(h, files.get(h.id, ())) for h in history],
    )


def _visible_item(
    session: Session, ctx: CallContext, item_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Item, uuid.UUID | None]:
    tenant_id, user_id = _me(ctx)
    query = select(Item).where(Item.id == item_id, Item.tenant_id == tenant_id)
    if for_update:
        query = query.with_for_update()
    item = session.scalar(query)
    mine = _my_supplier(session, tenant_id, user_id) if rules.is_supplier(ctx.roles) else None
    if item is None or (rules.is_supplier(ctx.roles) and item.supplier_id != mine):
        raise NotFound("item_not_found", "no such work item")
    return item, mine


def _history(session: Session, item_id: uuid.UUID) -> Sequence[History]:
    return session.scalars(
        select(History)
        .where(History.item_id == item_id)
        .order_by(History.created_at.desc(), History.id)
    ).all()


def _full(session: Session, ctx: CallContext, item: Item, mine: uuid.UUID | None) -> ItemOut:
    supplier = session.get(Supplier, item.supplier_id)
    files: dict[uuid.UUID, list[Attachment]] = {}
    for f in session.scalars(
        select(Attachment)
        .where(Attachment.item_id == item.id)
        .order_by(Attachment.created_at, Attachment.filename)
    ).all():
        files.setdefault(f.history_id, []).append(f)
    return item_out(
        item,
        supplier.name if supplier else "",
        ctx,
        mine,
        today(),
        _history(session, item.id),
        files,
    )


def _record(
    session: Session,
    item: Item,
    kind: HistoryKind,
    author_id: uuid.UUID,
    author_name: str,
    at: dt.datetime,
    *,
    text: str = "",
    percent: int | None = None,
    status_from: str | None = None,
    status_to: str | None = None,
) -> None:
    session.add(
        History(
            id=uuid.uuid4(),
            tenant_id=item.tenant_id,
            item_id=item.id,
            kind=kind.value,
            author_id=author_id,
            author_name=author_name,
            percent=percent,
            text=text,
            status_from=status_from,
            status_to=status_to,
            created_at=at,
        )
    )


def _supplier_person(
    session: Session, supplier_id: uuid.UUID, person_id: uuid.UUID | None
) -> tuple[uuid.UUID | None, str]:
    if person_id is None:
        return None, ""
    member = session.get(SupplierMember, (supplier_id, person_id))
    if member is None:
        raise InvalidInput("person_not_of_supplier", "供应商负责人须是该供应商的人员")
    return member.user_id, member.name


def _owner(directory: Directory, owner_id: uuid.UUID | None) -> tuple[uuid.UUID | None, str]:
    if owner_id is None:
        return None, ""
    user = directory.user(owner_id)
    if not user or not user.get("active") or Role.supplier in (user.get("roles") or []):
        raise InvalidInput("unknown_owner", "处室负责人须是本单位有效的工作人员")
    return owner_id, str(user["full_name"])


def create_item(
    session: Session, ctx: CallContext, directory: Directory, req: ItemCreate
) -> ItemOut:
    tenant_id, user_id = _me(ctx)
    rules.require_manager(ctx.roles)
    rules.check_period(req.planned_start, req.planned_end)
    supplier = _supplier(session, tenant_id, req.supplier_id)
    if not supplier.active:
        raise Conflict("supplier_inactive", "该供应商已停用")
    person_id, person_name = _supplier_person(session, supplier.id, req.supplier_person_id)
    owner_id, owner_name = _owner(directory, req.owner_id)
    author = _name_of(directory, user_id)
    now = utcnow()
    item = Item(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        title=req.title,
        description=req.description,
        project=req.project,
        supplier_id=supplier.id,
        supplier_person_id=person_id,
        supplier_person_name=person_name,
        owner_id=owner_id,
        owner_name=owner_name,
        planned_start=req.planned_start,
        planned_end=req.planned_end,
        priority=req.priority.value,
        status=ItemStatus.not_started.value,
        percent=0,
        last_progress_at=None,
        last_progress_text="",
        completed_at=None,
        created_by=user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    _record(
        session,
        item,
        HistoryKind.created,
        user_id,
        author,
        now,
        status_to=ItemStatus.not_started.value,
    )
    session.flush()
    out = _full(session, ctx, item, None)
    session.commit()
    return out


def get_item(session: Session, ctx: CallContext, item_id: uuid.UUID) -> ItemOut:
    item, mine = _visible_item(session, ctx, item_id)
    return _full(session, ctx, item, mine)


def update_item(
    session: Session, ctx: CallContext, directory: Directory, item_id: uuid.UUID, req: ItemUpdate
) -> ItemOut:
    _, user_id = _me(ctx)
    rules.require_manager(ctx.roles)
    item, mine = _visible_item(session, ctx, item_id, for_update=True)
    start = req.planned_start or item.planned_start
    end = req.planned_end or item.planned_end
    rules.check_period(start, end)
    changed: list[str] = []
    fields = req.model_fields_set
    if "supplier_person_id" in fields and req.supplier_person_id != item.supplier_person_id:
        item.supplier_person_id, item.supplier_person_name = _supplier_person(
            session, item.supplier_id, req.supplier_person_id
        )
        changed.append("供应商负责人")
    if "owner_id" in fields and req.owner_id != item.owner_id:
        item.owner_id, item.owner_name = _owner(directory, req.owner_id)
        changed.append("处室负责人")
    for name, label in (
        ("title", "标题"),
        ("description", "内容"),
        ("project", "项目"),
    ):
        value = getattr(req, name)
        if value is not None and value != getattr(item, name):
            setattr(item, name, value)
            changed.append(label)
    if (start, end) != (item.planned_start, item.planned_end):
        item.planned_start, item.planned_end = start, end
        changed.append("计划时间")
    if req.priority is not None and req.priority.value != item.priority:
        item.priority = req.priority.value
        changed.append("优先级")
    if changed:
        now = utcnow()
        item.updated_at = now
        _record(
            session,
            item,
            HistoryKind.edited,
            user_id,
            _name_of(directory, user_id),
            now,
            text="修改了" + "、".join(changed),
        )
    session.flush()
    out = _full(session, ctx, item, mine)
    session.commit()
    return out


def post_progress(
    session: Session, ctx: CallContext, directory: Directory, item_id: uuid.UUID, req: ProgressIn
) -> ItemOut:
    """A progress update by one of the item's supplier's people (403 ``suppliers_only``
    for anyone else of the tenant; another supplier's item is 404 to them)."""
    _, user_id = _me(ctx)
    if not rules.is_supplier(ctx.roles):
        raise Forbidden("suppliers_only", "进度由供应商填报")
    rules.check_percent(req.percent)
    tenant_id = ctx.require_tenant()
    item = session.scalar(
        select(Item).where(Item.id == item_id, Item.tenant_id == tenant_id).with_for_update()
    )
    if item is None:
        raise NotFound("item_not_found", "no such work item")
    mine = _my_supplier(session, tenant_id, user_id)
    if item.supplier_id != mine:
        raise Forbidden("not_own_item", "只能更新本公司的事项进度")
    rules.check_progress_allowed(item.status)
    now = utcnow()
    before = item.status
    item.status = rules.status_after_progress(item.status).value
    item.percent = req.percent
    item.last_progress_at = now
    item.last_progress_text = req.text
    item.updated_at = now
    _record(
        session,
        item,
        HistoryKind.progress,
        user_id,
        _name_of(directory, user_id),
        now,
        text=req.text,
        percent=req.percent,
        status_from=before if before != item.status else None,
        status_to=item.status if before != item.status else None,
    )
    session.flush()
    out = _full(session, ctx, item, mine)
    session.commit()
    return out


def change_status(
    session: Session, ctx: CallContext, directory: Directory, item_id: uuid.UUID, req: StatusIn
) -> ItemOut:
    _, user_id = _me(ctx)
    rules.require_manager(ctx.roles)
    item, mine = _visible_item(session, ctx, item_id, for_update=True)
    if req.status.value == item.status:
        raise Conflict("status_unchanged", f"该事项已是「{STATUS_LABELS[req.status]}」")
    now = utcnow()
    before = item.status
    item.status = req.status.value
    if req.status is ItemStatus.done:
        item.completed_at = now
        item.percent = 100
    else:
        item.completed_at = None
    item.updated_at = now
    _record(
        session,
        item,
        HistoryKind.status,
        user_id,
        _name_of(directory, user_id),
        now,
        text=req.note,
        status_from=before,
        status_to=item.status,
    )
    session.flush()
    out = _full(session, ctx, item, mine)
    session.commit()
    return out


# -- progress attachments (进度附件) -----------------------------------------------------------

#: files one progress update may carry
MAX_ATTACHMENTS = 10


def attachment_prefix(tenant_id: uuid.UUID, item_id: uuid.UUID) -> str:
    """Where the gateway keeps an item's progress files in the object store."""
    return f"ledger/{tenant_id}/{item_id}/"


def _own_progress(
    session: Session, ctx: CallContext, item_id: uuid.UUID, entry_id: uuid.UUID
) -> tuple[Item, History]:
    """A progress update the caller posted on an item of their company, still open."""
    _, user_id = _me(ctx)
    if not rules.is_supplier(ctx.roles):
        raise Forbidden("suppliers_only", "进度附件由供应商上传")
    item, _ = _visible_item(session, ctx, item_id)
    entry = session.get(History, entry_id)
    if entry is None or entry.item_id != item.id or entry.kind != HistoryKind.progress.value:
        raise NotFound("progress_not_found", "no such progress update of this item")
    if entry.author_id != user_id:
        raise Forbidden("not_progress_author", "只能给自己提交的进度上传附件")
    rules.check_progress_allowed(item.status)
    return item, entry


def _attached(session: Session, entry_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.history_id == entry_id)
        )
        or 0
    )


def check_upload(
    session: Session, ctx: CallContext, item_id: uuid.UUID, entry_id: uuid.UUID
) -> None:
    """Refused before the gateway reads a byte: not the author's, the item closed, full."""
    _, entry = _own_progress(session, ctx, item_id, entry_id)
    full = _attached(session, entry.id) >= MAX_ATTACHMENTS
    session.rollback()
    if full:
        raise InvalidInput("too_many_files", f"一次进度最多 {MAX_ATTACHMENTS} 个附件")


def add_files(
    session: Session,
    ctx: CallContext,
    item_id: uuid.UUID,
    entry_id: uuid.UUID,
    files: Sequence[LedgerFileIn],
) -> list[ProgressFileOut]:
    _, user_id = _me(ctx)
    item, entry = _own_progress(session, ctx, item_id, entry_id)
    prefix = attachment_prefix(item.tenant_id, item.id)
    if any(not f.object_key.startswith(prefix) for f in files):
        raise InvalidInput("invalid_input", "a file is not stored under this item")
    if _attached(session, entry.id) + len(files) > MAX_ATTACHMENTS:
        raise InvalidInput("too_many_files", f"一次进度最多 {MAX_ATTACHMENTS} 个附件")
    now = utcnow()
    rows = [
        Attachment(
            id=f.id,
            tenant_id=item.tenant_id,
            item_id=item.id,
            history_id=entry.id,
            object_key=f.object_key,
            filename=f.filename,
            size=f.size,
            sha256=f.sha256,
            content_type=f.content_type,
            uploaded_by=user_id,
            created_at=now,
        )
        for f in files
    ]
    session.add_all(rows)
    session.flush()
    out = [
        ProgressFileOut(id=r.id, filename=r.filename, content_type=r.content_type, size=r.size)
        for r in rows
    ]
    session.commit()
    return out


def file_download(
    session: Session, ctx: CallContext, item_id: uuid.UUID, file_id: uuid.UUID
) -> LedgerFileDownload:
    """An attachment, for whoever may see its item."""
    item, _ = _visible_item(session, ctx, item_id)
    row = session.get(Attachment, file_id)
    session.rollback()
    if row is None or row.item_id != item.id:
        raise NotFound("file_not_found", "no such attachment")
    return LedgerFileDownload(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        bucket=bucket_name(),
        object_key=row.object_key,
    )


# -- queries ------------------------------------------------------------------------------------------


def _delayed_condition(on: dt.date) -> Any:
    """SQL of :func:`~services.ledger.rules.is_delayed`."""
    return or_(
        Item.status == ItemStatus.delayed.value,
        and_(
            Item.status.notin_([ItemStatus.done.value, ItemStatus.suspended.value]),
            Item.planned_end < on,
        ),
    )


def list_items(session: Session, ctx: CallContext, q: ItemQuery) -> ItemPage:
    tenant_id, user_id = _me(ctx)
    on = today()
    where: list[Any] = [Item.tenant_id == tenant_id]
    mine = None
    if rules.is_supplier(ctx.roles):
        mine = _my_supplier(session, tenant_id, user_id)
        where.append(Item.supplier_id == mine)
    if q.supplier_id is not None:
        where.append(Item.supplier_id == q.supplier_id)
    if q.project:
        where.append(Item.project == q.project)
    if q.person_id is not None:
        where.append(or_(Item.supplier_person_id == q.person_id, Item.owner_id == q.person_id))
    if q.date_from is not None:
        where.append(Item.planned_end >= q.date_from)
    if q.date_to is not None:
        where.append(Item.planned_start <= q.date_to)
    if q.q:
        pattern = "%" + q.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(Item.title.ilike(pattern), Item.description.ilike(pattern)))
    delayed = _delayed_condition(on)
    if q.delayed is True:
        where.append(delayed)
    elif q.delayed is False:
        where.append(~delayed)
    if q.status is ItemStatus.delayed:
        where.append(delayed)
    elif q.status is not None:
        where.append(and_(Item.status == q.status.value, ~delayed))
    total = session.scalar(select(func.count()).select_from(Item).where(*where)) or 0
    rows = session.execute(
        select(Item, Supplier.name)
        .join(Supplier, Supplier.id == Item.supplier_id)
        .where(*where)
        .order_by(Item.planned_end, Item.created_at, Item.id)
        .limit(q.limit)
        .offset(q.offset)
    ).all()
    return ItemPage(
        items=[item_out(item, name, ctx, mine, on) for item, name in rows],
        total=int(total),
        limit=q.limit,
        offset=q.offset,
    )


def monthly_summary(session: Session, ctx: CallContext, month: str) -> MonthlySummary:
    """Per supplier, the items whose planned period overlaps the month, counted by their
    shown status today, and those completed within the month (Shanghai days)."""
    tenant_id, user_id = _me(ctx)
    first, last = rules.month_bounds(month)
    on = today()
    query = (
        select(Item, Supplier.name)
        .join(Supplier, Supplier.id == Item.supplier_id)
        .where(Item.tenant_id == tenant_id, Item.planned_start <= last, Item.planned_end >= first)
    )
    if rules.is_supplier(ctx.roles):
        query = query.where(Item.supplier_id == _my_supplier(session, tenant_id, user_id))
    counts: dict[uuid.UUID, SupplierMonth] = {}
    for item, name in session.execute(query).all():
        row = counts.setdefault(
            item.supplier_id,
            SupplierMonth(
                supplier_id=item.supplier_id,
                supplier_name=name,
                total=0,
                done=0,
                in_progress=0,
                delayed=0,
                not_started=0,
                suspended=0,
                completed_in_month=0,
            ),
        )
        row.total += 1
        shown = rules.shown_status(item.status, item.planned_end, on)
        setattr(row, shown.value, getattr(row, shown.value) + 1)
        if item.completed_at and first <= rules.shanghai_day(item.completed_at) <= last:
            row.completed_in_month += 1
    return MonthlySummary(
        month=f"{first.year:04d}-{first.month:02d}",
        suppliers=sorted(counts.values(), key=lambda r: r.supplier_name),
    )
