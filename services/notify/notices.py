"""Use cases of notices with receipts (通知 + 回执, DESIGN 5; seed 002 通知管理).

* **Composing** (``create_notice``): a draft of the sender's tenant — title, text, the
  recipients as named (units, meaning their active people and those of the units
  below them, and people; of this tenant or of a tenant below it), an optional receipt
  form (:mod:`services.notify.receipt_forms`) and a reply deadline. Everything is
  checked here, the recipients too, so that sending a valid draft only fails when
  its units emptied since. Attachments are added to the draft (the gateway stores them).
* **Sending** (``send_notice``): the units' people are resolved again (identity, before
  the transaction opens), and in one transaction every recipient gets a
  ``notice_recipients`` row and a notification (通知公告) in *their* tenant, with its
  e-mail and its SMS by the channel rules: the SMS asking them to sign in goes only if
  the notification is still unread after the notice's ``sms_after_minutes`` (seed 002:
  the system texts users who have not signed in), never in quiet hours.
* **Reading and replying**: a recipient opening it marks it read (their notifications
  of it too, so the waiting SMS is dropped); a reply is checked against the form, once,
  or changed until the deadline (notify's clock, :mod:`services.notify.clock`).
* **Following** (the sender): who replied, who read it but did not reply, who did not
  read it, each reply's values and the e-mails and texts sent to each; reminding those
  missing (回执提醒, a notification of its own; one reminded in the last
  :data:`REMIND_GAP` is skipped).

Who may see what: the sender's tenant owns the notice; a recipient's tenant sees it
through the recipient's row (row-level policies of migration 0006). Someone who can see
a notice but is neither its sender nor a recipient gets 404 reading it and 403
``not_a_recipient`` replying to it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.objectstore import bucket_name
from services.common.vocabulary import SHANGHAI, Role
from services.notify import clock, outbound, queries
from services.notify.models import Notice, NoticeRecipient, Notification, OutboundMessage
from services.notify.outbound import Contact
from services.notify.receipt_forms import FIELD_TYPE_LABELS, check_form, check_reply, form_of
from services.notify.remote import IdentityDirectory
from services.notify.schemas import (
    RECEIPT_STATUS_LABELS,
    AttachmentOut,
    MyReceipt,
    NoticeCreate,
    NoticeDeliveryOut,
    NoticeFileDownload,
    NoticeFileIn,
    NoticeOut,
    NoticePage,
    NoticeQuery,
    NoticeReceiptCounts,
    NoticeReceiptOut,
    NoticeReceiptPage,
    NoticeReceiptQuery,
    NoticeStatus,
    NoticeSummary,
    NotificationKind,
    ReceiptFieldOut,
    ReceiptStatus,
    RecipientRef,
    RemindIn,
    RemindOut,
    ReplyIn,
)

#: who may compose notices: everyone of a tenant but suppliers and auditors
SENDER_ROLES = frozenset(
    {
        Role.tenant_admin,
        Role.registrar,
        Role.handler,
        Role.division_head,
        Role.office_leader,
        Role.gov_leader,
        Role.secretary,
        Role.ops,
    }
)
REMIND_GAP = dt.timedelta(minutes=10)
MAX_ATTACHMENTS = 20

DirectoryFor = Callable[[uuid.UUID, str | None], IdentityDirectory]


@dataclass(frozen=True)
class Person:
    """A recipient as resolved now: who, in which tenant, and how to reach them."""

    user_id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    unit_name: str
    tenant_name: str
    contact: Contact


def _me(ctx: CallContext) -> tuple[uuid.UUID, uuid.UUID]:
    user_id = ctx.require_user()
    return ctx.require_tenant(), user_id


def _not_found() -> NotFound:
    return NotFound("notice_not_found", "no such notice")


# -- recipients ----------------------------------------------------------------------------------


def _contact(user: Mapping[str, Any]) -> Contact:
    return Contact(
        email=(user.get("email") or "").strip() or None,
        mobile=(user.get("phone") or "").strip() or None,
    )


class _Resolver:
    """Units and people named by a sender, looked up in identity (each tenant's directory
    asked as notify's principal in that tenant); the tenants are the sender's and the
    ones below it."""

    def __init__(self, directory_for: DirectoryFor, tenant_id: uuid.UUID, request_id: str | None):
        self.directory_for = directory_for
        self.tenant_id = tenant_id
        self.request_id = request_id
        self._dirs: dict[uuid.UUID, IdentityDirectory] = {}
        self._names: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
        tenants = self.directory(tenant_id).tenants()
        self.by_id = {uuid.UUID(str(t["id"])): t for t in tenants}
        self.by_code = {str(t["code"]): t for t in tenants}
        if tenant_id not in self.by_id:
            raise NotFound("tenant_not_found", "the sender's tenant is not known")

    def directory(self, tenant_id: uuid.UUID) -> IdentityDirectory:
        if tenant_id not in self._dirs:
            self._dirs[tenant_id] = self.directory_for(tenant_id, self.request_id)
        return self._dirs[tenant_id]

    def tenant(self, code: str | None) -> Mapping[str, Any]:
        if not code:
            return self.by_id[self.tenant_id]
        found = self.by_code.get(code)
        if found is None:
            raise InvalidInput(
                "unknown_tenant", f"tenant {code!r} is neither this tenant nor one below it"
            )
        return found

    def unit_names(self, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
        if tenant_id not in self._names:
            self._names[tenant_id] = self.directory(tenant_id).unit_names()
        return self._names[tenant_id]

    def _person(self, user: Mapping[str, Any], tenant: Mapping[str, Any], unit: str) -> Person:
        return Person(
            user_id=uuid.UUID(str(user["id"])),
            tenant_id=uuid.UUID(str(tenant["id"])),
            name=str(user.get("full_name") or user.get("username") or ""),
            unit_name=unit,
            tenant_name=str(tenant["name"]),
            contact=_contact(user),
        )

    def _ref(
        self, kind: str, ref_id: uuid.UUID, name: str, tenant: Mapping[str, Any]
    ) -> dict[str, Any]:
        return RecipientRef(
            kind=kind,  # type: ignore[arg-type]
            id=ref_id,
            name=name,
            tenant_id=uuid.UUID(str(tenant["id"])),
            tenant_code=str(tenant["code"]),
            tenant_name=str(tenant["name"]),
        ).model_dump(mode="json")

    def resolve(
        self,
        units: Iterable[tuple[str | None, uuid.UUID]],
        users: Iterable[tuple[str | None, uuid.UUID]],
    ) -> tuple[list[dict[str, Any]], dict[uuid.UUID, Person]]:
        refs: list[dict[str, Any]] = []
        people: dict[uuid.UUID, Person] = {}
        seen: set[tuple[str, uuid.UUID]] = set()
        for code, unit_id in units:
            tenant = self.tenant(code)
            tid = uuid.UUID(str(tenant["id"]))
            if ("unit", unit_id) in seen:
                continue
            seen.add(("unit", unit_id))
            tree = self.directory(tid).unit_tree(unit_id)
            root = next((u for u in tree if str(u["id"]) == str(unit_id)), None)
            if root is None or not root.get("active", True):
                raise InvalidInput("unknown_unit", f"no active unit {unit_id} in {tenant['name']}")
            names = {str(u["id"]): str(u["name"]) for u in tree}
            for user in self.directory(tid).unit_people(unit_id):
                unit = names.get(str(user.get("org_unit_id")), str(root["name"]))
                person = self._person(user, tenant, unit)
                people.setdefault(person.user_id, person)
            refs.append(self._ref("unit", unit_id, str(root["name"]), tenant))
        for code, user_id in users:
            tenant = self.tenant(code)
            tid = uuid.UUID(str(tenant["id"]))
            if ("user", user_id) in seen:
                continue
            seen.add(("user", user_id))
            found = self.directory(tid).user(user_id)
            if found is None or not found.get("active", True):
                raise InvalidInput("unknown_user", f"no active user {user_id} in {tenant['name']}")
            own_unit = found.get("org_unit_id")
            unit = self.unit_names(tid).get(uuid.UUID(str(own_unit)), "") if own_unit else ""
            person = self._person(found, tenant, unit)
            people.setdefault(person.user_id, person)
            refs.append(self._ref("user", user_id, person.name, tenant))
        return refs, people


def _named(refs: Sequence[Mapping[str, Any]], kind: str) -> list[tuple[str | None, uuid.UUID]]:
    return [(str(r["tenant_code"]), uuid.UUID(str(r["id"]))) for r in refs if r["kind"] == kind]


# -- composing -------------------------------------------------------------------------------------


def create_notice(
    session: Session,
    ctx: CallContext,
    directory_for: DirectoryFor,
    req: NoticeCreate,
    *,
    default_sms_minutes: int,
) -> NoticeOut:
    """A draft notice, everything in it checked (see the module docstring)."""
    tenant_id, user_id = _me(ctx)
    if not {r.value for r in SENDER_ROLES} & ctx.roles:
        raise Forbidden("not_allowed_to_send_notices", "suppliers and auditors send no notices")
    form = check_form([f.model_dump() for f in req.form])
    now = clock.now(session)
    session.rollback()
    _check_deadline(req.reply_deadline, bool(form), now)
    if not req.units and not req.users:
        raise InvalidInput("no_recipients", "name at least one unit or person to send it to")
    resolver = _Resolver(directory_for, tenant_id, ctx.request_id)
    refs, people = resolver.resolve(
        [(u.tenant_code, u.unit_id) for u in req.units],
        [(u.tenant_code, u.user_id) for u in req.users],
    )
    people.pop(user_id, None)
    if not people:
        raise InvalidInput("no_recipients", "nobody active is in the units named")
    me = resolver.directory(tenant_id).user(user_id) or {}
    unit_id = me.get("org_unit_id")
    row = Notice(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        status=NoticeStatus.draft.value,
        sender_id=user_id,
        sender_name=str(me.get("full_name") or ctx.username or ""),
        sender_unit_name=(
            resolver.unit_names(tenant_id).get(uuid.UUID(str(unit_id)), "") if unit_id else ""
        ),
        sender_tenant_name=str(resolver.by_id[tenant_id]["name"]),
        title=req.title,
        body=req.body.strip(),
        form=[f.as_dict() for f in form],
        reply_deadline=req.reply_deadline,
        sms_after_minutes=req.sms_after_minutes or default_sms_minutes,
        recipients=refs,
        attachments=[],
        created_at=now,
        sent_at=None,
        updated_at=now,
    )
    session.add(row)
    session.commit()
    return notice_out(session, ctx, row)


def _check_deadline(deadline: dt.datetime | None, has_form: bool, now: dt.datetime) -> None:
    if deadline is None:
        return
    if not has_form:
        raise InvalidInput(
            "deadline_without_form", "a reply deadline needs a receipt form to reply with"
        )
    if deadline.tzinfo is None:
        raise InvalidInput("invalid_input", "reply_deadline needs a time zone")
    if deadline <= now:
        raise InvalidInput("deadline_passed", "the reply deadline is already over")


def _own_draft(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, lock: bool = False
) -> Notice:
    row = _sender_notice(session, ctx, notice_id, lock=lock)
    if row.status != NoticeStatus.draft.value:
        raise Conflict("notice_sent", "the notice has been sent: it cannot be changed")
    return row


def _sender_notice(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, lock: bool = False
) -> Notice:
    tenant_id, user_id = _me(ctx)
    stmt = select(Notice).where(Notice.id == notice_id)
    if lock:
        stmt = stmt.with_for_update(of=Notice)
    row = session.scalars(stmt).first()
    if row is None:
        raise _not_found()
    if row.tenant_id != tenant_id or row.sender_id != user_id:
        if row.status == NoticeStatus.draft.value:
            raise _not_found()
        raise Forbidden("not_notice_sender", "only the notice's sender may do this")
    return row


def check_upload(session: Session, ctx: CallContext, notice_id: uuid.UUID) -> None:
    row = _own_draft(session, ctx, notice_id)
    full = len(row.attachments) >= MAX_ATTACHMENTS
    session.rollback()
    if full:
        raise InvalidInput("too_many_files", f"a notice has at most {MAX_ATTACHMENTS} attachments")


def add_files(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, files: Sequence[NoticeFileIn]
) -> list[AttachmentOut]:
    row = _own_draft(session, ctx, notice_id, lock=True)
    prefix = f"notices/{row.tenant_id}/{row.id}/"
    if any(not f.object_key.startswith(prefix) for f in files):
        raise InvalidInput("invalid_input", "a file is not stored under this notice")
    if len(row.attachments) + len(files) > MAX_ATTACHMENTS:
        raise InvalidInput("too_many_files", f"a notice has at most {MAX_ATTACHMENTS} attachments")
    added = [f.model_dump(mode="json") for f in files]
    row.attachments = [*row.attachments, *added]
    row.updated_at = clock.now(session)
    session.commit()
    return [_attachment(a) for a in added]


def delete_notice(session: Session, ctx: CallContext, notice_id: uuid.UUID) -> list[str]:
    """Delete a draft; returns the object keys of its attachments (the gateway removes them)."""
    row = _own_draft(session, ctx, notice_id, lock=True)
    keys = [str(a["object_key"]) for a in row.attachments]
    session.execute(delete(Notice).where(Notice.id == row.id))
    session.commit()
    return keys


def file_download(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, file_id: uuid.UUID
) -> NoticeFileDownload:
    row, _ = _participant(session, ctx, notice_id)
    found = next((a for a in row.attachments if str(a["id"]) == str(file_id)), None)
    session.rollback()
    if found is None:
        raise NotFound("file_not_found", "no such attachment")
    return NoticeFileDownload(bucket=bucket_name(), **found)


# -- sending --------------------------------------------------------------------------------------


def _notification_text(kind: NotificationKind, row: Notice) -> tuple[str, str]:
    deadline = (
        row.reply_deadline.astimezone(SHANGHAI).strftime("%Y年%m月%d日%H:%M")
        if row.reply_deadline
        else None
    )
    sender = f"{row.sender_tenant_name}{row.sender_unit_name} {row.sender_name}".strip()
    if kind is NotificationKind.notice:
        title = f"通知：{row.title}"
        body = f"{sender}发来通知《{row.title}》。"
        if row.form:
            body += f"请于{deadline}前填写回执。" if deadline else "请填写回执。"
        return title, body
    title = f"回执提醒：{row.title}"
    if row.form:
        body = f"{sender}提醒您填写《{row.title}》的回执" + (
            f"（{deadline}截止）。" if deadline else "。"
        )
    else:
        body = f"{sender}提醒您阅读通知《{row.title}》。"
    return title, body


def _notify(
    session: Session,
    row: Notice,
    people: Sequence[Person],
    kind: NotificationKind,
    event_id: uuid.UUID,
    policy: outbound.Policy,
    now: dt.datetime,
) -> list[uuid.UUID]:
    """Notifications (and their e-mails and texts) in each recipient's tenant; the
    session is scoped back to the sender's tenant after. Returns who got a new one."""
    title, body = _notification_text(kind, row)
    notice_policy = dataclasses.replace(
        policy, unread_delay=dt.timedelta(minutes=row.sms_after_minutes)
    )
    told: list[uuid.UUID] = []
    by_tenant: dict[uuid.UUID, list[Person]] = {}
    for p in people:
        by_tenant.setdefault(p.tenant_id, []).append(p)
    try:
        for tenant_id in sorted(by_tenant, key=str):
            scope_session(session, tenant_id=tenant_id)
            rows = [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": tenant_id,
                    "user_id": p.user_id,
                    "kind": kind.value,
                    "title": title,
                    "body": body,
                    "document_id": None,
                    "task_id": None,
                    "notice_id": row.id,
                    "event_id": event_id,
                    "created_at": now,
                }
                for p in by_tenant[tenant_id]
            ]
            new = set(queries.add_notifications(session, rows))
            told.extend(
                p.user_id for p, r in zip(by_tenant[tenant_id], rows, strict=True) if r["id"] in new
            )
            outbound.plan_messages(
                session,
                tenant_id=tenant_id,
                notifications=[r for r in rows if r["id"] in new],
                urgency=None,
                contacts={p.user_id: p.contact for p in by_tenant[tenant_id]},
                policy=notice_policy,
                now=now,
            )
    finally:
        scope_session(session, tenant_id=row.tenant_id)
    return told


def send_notice(
    session: Session,
    ctx: CallContext,
    directory_for: DirectoryFor,
    notice_id: uuid.UUID,
    policy: outbound.Policy,
) -> tuple[NoticeOut, list[uuid.UUID]]:
    """Send a draft (see the module docstring); returns it and who was notified."""
    tenant_id, user_id = _me(ctx)
    row = _own_draft(session, ctx, notice_id)
    now = clock.now(session)
    refs = list(row.recipients)
    deadline, has_form = row.reply_deadline, bool(row.form)
    session.rollback()
    _check_deadline(deadline, has_form, now)
    resolver = _Resolver(directory_for, tenant_id, ctx.request_id)
    _, found = resolver.resolve(_named(refs, "unit"), _named(refs, "user"))
    found.pop(user_id, None)
    if not found:
        raise InvalidInput("no_recipients", "nobody active is in the units named any more")
    people = list(found.values())

    row = _own_draft(session, ctx, notice_id, lock=True)  # a second send waits, then 409
    session.execute(
        pg_insert(NoticeRecipient)
        .values(
            [
                {
                    "notice_id": row.id,
                    "user_id": p.user_id,
                    "tenant_id": p.tenant_id,
                    "sender_tenant_id": row.tenant_id,
                    "user_name": p.name[:100],
                    "unit_name": p.unit_name[:200],
                    "tenant_name": p.tenant_name[:200],
                    "created_at": now,
                    "reply": {},
                    "changes": 0,
                    "remind_count": 0,
                }
                for p in people
            ]
        )
        .on_conflict_do_nothing()
    )
    told = _notify(session, row, people, NotificationKind.notice, row.id, policy, now)
    session.execute(
        update(Notice)
        .where(Notice.id == row.id)
        .values(status=NoticeStatus.sent.value, sent_at=now, updated_at=now)
    )
    session.commit()
    session.refresh(row)
    return notice_out(session, ctx, row), told


# -- recipients: reading and replying ---------------------------------------------------------------


def _participant(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, lock: bool = False
) -> tuple[Notice, NoticeRecipient | None]:
    """The notice and my recipient row (None: I am its sender). Neither sender nor
    recipient: 404 (a draft is its sender's alone)."""
    tenant_id, user_id = _me(ctx)
    row = session.get(Notice, notice_id)
    if row is None:
        raise _not_found()
    if row.tenant_id == tenant_id and row.sender_id == user_id:
        return row, None
    mine = _my_row(session, tenant_id, user_id, notice_id, lock)
    if mine is None:
        raise _not_found()
    return row, mine


def _my_row(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, notice_id: uuid.UUID, lock: bool
) -> NoticeRecipient | None:
    stmt = select(NoticeRecipient).where(
        NoticeRecipient.notice_id == notice_id,
        NoticeRecipient.user_id == user_id,
        NoticeRecipient.tenant_id == tenant_id,
    )
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def _recipient(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, lock: bool = False
) -> tuple[Notice, NoticeRecipient]:
    tenant_id, user_id = _me(ctx)
    row = session.get(Notice, notice_id)
    if row is None or (row.status == NoticeStatus.draft.value and row.sender_id != user_id):
        raise _not_found()
    mine = _my_row(session, tenant_id, user_id, notice_id, lock)
    if mine is None:
        raise Forbidden("not_a_recipient", "the notice was not sent to you")
    return row, mine


def read_notice(session: Session, ctx: CallContext, notice_id: uuid.UUID) -> tuple[NoticeOut, bool]:
    """A recipient opened it: read (and their notifications of it). Returns whether
    anything changed (their unread count did)."""
    row, mine = _recipient(session, ctx, notice_id, lock=True)
    now = clock.now(session)
    changed = mine.read_at is None
    if changed:
        mine.read_at = now
    marked = session.execute(  # type: ignore[attr-defined]
        update(Notification)
        .where(
            Notification.notice_id == row.id,
            Notification.user_id == mine.user_id,
            Notification.tenant_id == mine.tenant_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    ).rowcount
    session.commit()
    return notice_out(session, ctx, row), changed or bool(marked)


def reply_notice(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, req: ReplyIn
) -> NoticeOut:
    row, mine = _recipient(session, ctx, notice_id, lock=True)
    if not row.form:
        raise Conflict("no_receipt_form", "this notice asks for no reply")
    now = clock.now(session)
    if row.reply_deadline is not None and now >= row.reply_deadline:
        raise Conflict("deadline_passed", "the reply deadline is over: replies are closed")
    values = check_reply(form_of(row.form), req.values)
    if mine.replied_at is not None:
        mine.changes = (mine.changes or 0) + 1
    mine.reply = values
    mine.replied_at = now
    if mine.read_at is None:
        mine.read_at = now
    session.commit()
    return notice_out(session, ctx, row)


# -- views --------------------------------------------------------------------------------------------


def _attachment(a: Mapping[str, Any]) -> AttachmentOut:
    return AttachmentOut(
        id=uuid.UUID(str(a["id"])),
        filename=str(a["filename"]),
        content_type=str(a["content_type"]),
        size=int(a["size"]),
    )


def _form_out(form: Sequence[Mapping[str, Any]]) -> list[ReceiptFieldOut]:
    return [
        ReceiptFieldOut(
            key=f.key,
            label=f.label,
            type=f.type.value,
            type_label=FIELD_TYPE_LABELS[f.type],
            required=f.required,
            options=list(f.options),
        )
        for f in form_of(form)
    ]


def _status(has_form: bool, read_at: Any, replied_at: Any) -> ReceiptStatus:
    if replied_at is not None and has_form:
        return ReceiptStatus.replied
    return ReceiptStatus.read if read_at is not None else ReceiptStatus.unread


def _counts(
    session: Session, notice_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, NoticeReceiptCounts]:
    if not notice_ids:
        return {}
    rows = session.execute(
        select(
            NoticeRecipient.notice_id,
            func.count(),
            func.count(NoticeRecipient.read_at),
            func.count(NoticeRecipient.replied_at),
        )
        .where(NoticeRecipient.notice_id.in_(notice_ids))
        .group_by(NoticeRecipient.notice_id)
    ).all()
    out = {}
    for notice_id, total, read, replied in rows:
        out[notice_id] = NoticeReceiptCounts(
            total=total, unread=total - read, read=read - replied, replied=replied
        )
    return out


def notice_out(session: Session, ctx: CallContext, row: Notice) -> NoticeOut:
    tenant_id, user_id = _me(ctx)
    now = clock.now(session)
    is_sender = row.tenant_id == tenant_id and row.sender_id == user_id
    deadline_passed = row.reply_deadline is not None and now >= row.reply_deadline
    mine = None
    counts = None
    if is_sender:
        counts = _counts(session, [row.id]).get(row.id) or NoticeReceiptCounts(
            total=0, unread=0, read=0, replied=0
        )
    else:
        r = _my_row(session, tenant_id, user_id, row.id, lock=False)
        if r is not None:
            mine = MyReceipt(
                status=_status(bool(row.form), r.read_at, r.replied_at),
                read_at=r.read_at,
                replied_at=r.replied_at,
                reply=dict(r.reply or {}),
                changes=r.changes or 0,
                can_reply=bool(row.form) and not deadline_passed,
            )
    out = NoticeOut(
        id=row.id,
        status=NoticeStatus(row.status),
        title=row.title,
        body=row.body,
        sender_id=row.sender_id,
        sender_name=row.sender_name,
        sender_unit_name=row.sender_unit_name,
        sender_tenant_name=row.sender_tenant_name,
        created_at=row.created_at,
        sent_at=row.sent_at,
        form=_form_out(row.form),
        reply_deadline=row.reply_deadline,
        deadline_passed=deadline_passed,
        sms_after_minutes=row.sms_after_minutes,
        attachments=[_attachment(a) for a in row.attachments],
        is_sender=is_sender,
        recipients=[RecipientRef.model_validate(r) for r in row.recipients] if is_sender else [],
        counts=counts,
        mine=mine,
    )
    session.rollback()
    return out


def get_notice(session: Session, ctx: CallContext, notice_id: uuid.UUID) -> NoticeOut:
    row, _ = _participant(session, ctx, notice_id)
    return notice_out(session, ctx, row)


def list_notices(session: Session, ctx: CallContext, q: NoticeQuery) -> NoticePage:
    tenant_id, user_id = _me(ctx)
    words = f"%{q.q.strip()}%" if q.q and q.q.strip() else None
    if q.box == "sent":
        where = [Notice.tenant_id == tenant_id, Notice.sender_id == user_id]
        if words:
            where.append(Notice.title.ilike(words))
        total = session.scalar(select(func.count()).select_from(Notice).where(*where)) or 0
        rows = session.scalars(
            select(Notice)
            .where(*where)
            .order_by(Notice.created_at.desc(), Notice.id)
            .limit(q.limit)
            .offset(q.offset)
        ).all()
        counts = _counts(session, [r.id for r in rows])
        items = [_summary(r, counts=counts.get(r.id)) for r in rows]
    else:
        where = [NoticeRecipient.tenant_id == tenant_id, NoticeRecipient.user_id == user_id]
        if words:
            where.append(Notice.title.ilike(words))
        joined = select(NoticeRecipient, Notice).join(
            Notice, Notice.id == NoticeRecipient.notice_id
        )
        total = (
            session.scalar(
                select(func.count())
                .select_from(NoticeRecipient)
                .join(Notice, Notice.id == NoticeRecipient.notice_id)
                .where(*where)
            )
            or 0
        )
        pairs = session.execute(
            joined.where(*where)
            .order_by(NoticeRecipient.created_at.desc(), Notice.id)
            .limit(q.limit)
            .offset(q.offset)
        ).all()
        items = [_summary(n, mine=_status(bool(n.form), r.read_at, r.replied_at)) for r, n in pairs]
    session.rollback()
    return NoticePage(items=items, total=total, limit=q.limit, offset=q.offset)


def _summary(
    row: Notice, *, counts: NoticeReceiptCounts | None = None, mine: ReceiptStatus | None = None
) -> NoticeSummary:
    return NoticeSummary(
        id=row.id,
        status=NoticeStatus(row.status),
        title=row.title,
        sender_name=row.sender_name,
        sender_unit_name=row.sender_unit_name,
        sender_tenant_name=row.sender_tenant_name,
        created_at=row.created_at,
        sent_at=row.sent_at,
        reply_deadline=row.reply_deadline,
        has_form=bool(row.form),
        counts=counts if row.status == NoticeStatus.sent.value else None,
        my_status=mine,
    )


# -- the sender: receipts and reminders ---------------------------------------------------------------


def _where_status(status: ReceiptStatus | None, has_form: bool) -> list[Any]:
    if status is None:
        return []
    if status is ReceiptStatus.replied:
        return [NoticeRecipient.replied_at.is_not(None)] if has_form else [False]
    if status is ReceiptStatus.read:
        read = [NoticeRecipient.read_at.is_not(None)]
        return [*read, NoticeRecipient.replied_at.is_(None)] if has_form else read
    return [NoticeRecipient.read_at.is_(None)]


def _deliveries(
    session: Session, tenant_id: uuid.UUID, notice_id: uuid.UUID, people: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[NoticeDeliveryOut]]:
    """The e-mails and texts of the notice's notifications to ``people`` (their tenants
    may be others than the sender's: read past the tenant policy, for this notice only),
    the latest per channel."""
    if not people:
        return {}
    scope_session(session, bypass_rls=True)
    try:
        rows = (
            session.execute(
                select(OutboundMessage)
                .join(Notification, Notification.id == OutboundMessage.notification_id)
                .where(Notification.notice_id == notice_id, OutboundMessage.user_id.in_(people))
                .order_by(OutboundMessage.created_at)
            )
            .scalars()
            .all()
        )
        latest: dict[tuple[uuid.UUID, str], OutboundMessage] = {}
        for m in rows:
            latest[(m.user_id, m.channel)] = m
        out: dict[uuid.UUID, list[NoticeDeliveryOut]] = {}
        for (user, _), m in sorted(latest.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
            out.setdefault(user, []).append(
                NoticeDeliveryOut(
                    channel=m.channel,
                    status=m.status,
                    attempts=m.attempts,
                    last_error=m.last_error,
                    sent_at=m.sent_at,
                    updated_at=m.updated_at,
                )
            )
        return out
    finally:
        session.rollback()
        scope_session(session, tenant_id=tenant_id)


def receipts(
    session: Session, ctx: CallContext, notice_id: uuid.UUID, q: NoticeReceiptQuery
) -> NoticeReceiptPage:
    tenant_id, _ = _me(ctx)
    row = _sender_notice(session, ctx, notice_id)
    has_form = bool(row.form)
    where = [NoticeRecipient.notice_id == row.id, *_where_status(q.status, has_form)]
    total = session.scalar(select(func.count()).select_from(NoticeRecipient).where(*where)) or 0
    rows = session.scalars(
        select(NoticeRecipient)
        .where(*where)
        .order_by(NoticeRecipient.tenant_name, NoticeRecipient.unit_name, NoticeRecipient.user_name)
        .limit(q.limit)
        .offset(q.offset)
    ).all()
    counts = _counts(session, [row.id]).get(row.id) or NoticeReceiptCounts(
        total=0, unread=0, read=0, replied=0
    )
    form = _form_out(row.form)
    session.rollback()
    delivery = _deliveries(session, tenant_id, row.id, [r.user_id for r in rows])
    items = []
    for r in rows:
        status = _status(has_form, r.read_at, r.replied_at)
        items.append(
            NoticeReceiptOut(
                user_id=r.user_id,
                user_name=r.user_name,
                unit_name=r.unit_name,
                tenant_name=r.tenant_name,
                status=status,
                status_label=RECEIPT_STATUS_LABELS[status]
                if has_form or status is not ReceiptStatus.read
                else "已读",
                read_at=r.read_at,
                replied_at=r.replied_at if has_form else None,
                reply=dict(r.reply or {}),
                changes=r.changes or 0,
                reminded_at=r.reminded_at,
                remind_count=r.remind_count or 0,
                delivery=delivery.get(r.user_id, []),
            )
        )
    return NoticeReceiptPage(items=items, total=total, counts=counts, form=form)


def remind(
    session: Session,
    ctx: CallContext,
    directory_for: DirectoryFor,
    notice_id: uuid.UUID,
    req: RemindIn,
    policy: outbound.Policy,
) -> tuple[RemindOut, list[uuid.UUID]]:
    """Remind the recipients missing (no reply to a form, else not read)."""
    row = _sender_notice(session, ctx, notice_id)
    if row.status != NoticeStatus.sent.value:
        raise Conflict("notice_not_sent", "the notice has not been sent yet")
    now = clock.now(session)
    missing = [
        NoticeRecipient.notice_id == row.id,
        NoticeRecipient.replied_at.is_(None) if row.form else NoticeRecipient.read_at.is_(None),
    ]
    if req.user_ids is not None:
        missing.append(NoticeRecipient.user_id.in_(req.user_ids))
    rows = session.scalars(select(NoticeRecipient).where(*missing)).all()
    due = [r for r in rows if r.reminded_at is None or now - r.reminded_at >= REMIND_GAP]
    skipped = len(rows) - len(due)
    wanted = [(r.tenant_id, r.user_id) for r in due]
    names = {r.user_id: (r.user_name, r.unit_name, r.tenant_name) for r in due}
    session.rollback()
    if not wanted:
        return RemindOut(reminded=0, skipped=skipped), []
    # e-mail addresses and mobile numbers, asked before the transaction opens
    contacts: dict[uuid.UUID, Contact] = {}
    by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
    for tid, uid in wanted:
        by_tenant.setdefault(tid, []).append(uid)
    for tid, users in by_tenant.items():
        contacts.update(directory_for(tid, ctx.request_id).contacts(users))
    people = [
        Person(uid, tid, *names[uid], contact=contacts.get(uid) or Contact(None, None))
        for tid, uid in wanted
    ]

    row = _sender_notice(session, ctx, notice_id, lock=True)
    told = _notify(
        session, row, people, NotificationKind.notice_reminder, uuid.uuid4(), policy, now
    )
    session.execute(
        update(NoticeRecipient)
        .where(
            NoticeRecipient.notice_id == row.id,
            NoticeRecipient.user_id.in_([p.user_id for p in people]),
        )
        .values(reminded_at=now, remind_count=NoticeRecipient.remind_count + 1)
    )
    session.commit()
    return RemindOut(reminded=len(people), skipped=skipped), told
