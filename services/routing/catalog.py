"""Process templates (流程模板) as stored data: versions, assignments to org units,
and which template a unit's documents follow.

A template row is never changed: a new definition under an existing code is a
new version, and running workflow instances keep the version they started with.
A unit uses the template of a kind assigned to it; a unit with none uses the
platform default ``incoming-default`` (``outgoing-default`` for 发文).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.common.context import CallContext
from services.common.db import scope_session
from services.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.common.vocabulary import OrgUnitKind, Role
from services.routing import clock, queries
from services.routing.models import Template
from services.routing.ports import Directory
from services.routing.schemas import (
    DEFAULT_TEMPLATE_CODE,
    OUTGOING_TEMPLATE_CODE,
    StepTimeLimit,
    TemplateDef,
    TemplateOut,
)
from services.routing.templates import Flow, validate_template

MAX_TIME_LIMIT_DAYS = 365

_flows: dict[uuid.UUID, Flow] = {}


def flow_of(session: Session, template_id: uuid.UUID) -> Flow:
    """The engine's view of a template version (cached: versions never change)."""
    flow = _flows.get(template_id)
    if flow is None:
        row = queries.template(session, template_id)
        if row is None:
            raise NotFound("template_not_found", "no such process template")
        flow = Flow(TemplateDef.model_validate(row.definition))
        _flows[template_id] = flow
    return flow


def template_for_unit(
    session: Session, tenant_id: uuid.UUID, unit_id: uuid.UUID, kind: str = "incoming"
) -> Template:
    """The template a unit's documents of ``kind`` follow."""
    row = queries.assigned_template(session, tenant_id, unit_id, kind)
    if row is None:
        code = OUTGOING_TEMPLATE_CODE if kind == "outgoing" else DEFAULT_TEMPLATE_CODE
        row = queries.platform_template(session, code)
    if row is None:  # the migration seeds it; only a damaged database lacks it
        raise NotFound("template_not_found", "the platform default template is missing")
    return row


# -- RPC use cases ---------------------------------------------------------------------------------


def _reader(ctx: CallContext) -> uuid.UUID:
    ctx.require_user()
    return ctx.require_tenant()


def _admin(ctx: CallContext) -> uuid.UUID:
    tenant_id = _reader(ctx)
    if Role.tenant_admin not in ctx.roles:
        raise Forbidden("tenant_admin_required", "only the tenant administrator does this")
    return tenant_id


def _out(row: Template, unit_ids: Sequence[uuid.UUID]) -> TemplateOut:
    definition = TemplateDef.model_validate(row.definition)
    return TemplateOut(
        **definition.model_dump(),
        id=row.id,
        tenant_id=row.tenant_id,
        version=row.version,
        assigned_unit_ids=list(unit_ids),
    )


def list_templates(session: Session, ctx: CallContext) -> list[TemplateOut]:
    tenant_id = _reader(ctx)
    rows = queries.visible_templates(session, tenant_id)
    units = queries.assigned_units(session, tenant_id, [r.id for r in rows])
    return [_out(r, units[r.id]) for r in rows]


def _visible(session: Session, tenant_id: uuid.UUID, template_id: uuid.UUID) -> Template:
    row = queries.template(session, template_id)
    if row is None or row.tenant_id not in (None, tenant_id):
        raise NotFound("template_not_found", "no such process template")
    return row


def get_template(session: Session, ctx: CallContext, template_id: uuid.UUID) -> TemplateOut:
    tenant_id = _reader(ctx)
    row = _visible(session, tenant_id, template_id)
    return _out(row, queries.assigned_units(session, tenant_id, [row.id])[row.id])


def create_template(session: Session, ctx: CallContext, template: TemplateDef) -> TemplateOut:
    """Store a new template of the tenant (a new version when the code exists)."""
    tenant_id = _admin(ctx)
    validate_template(template)
    queries.lock(session, f"routing:template:{tenant_id}:{template.code}")
    row = Template(
        id=uuid.uuid4(),
        tenant_id=tenant_id,
        code=template.code,
        name=template.name,
        kind=template.kind,
        version=queries.next_template_version(session, tenant_id, template.code),
        definition=template.model_dump(mode="json"),
        created_at=clock.now(session),
        created_by=ctx.user_id,
    )
    session.add(row)
    session.commit()
    return _out(row, [])


def assign_template(
    session: Session,
    ctx: CallContext,
    directory: Directory,
    template_id: uuid.UUID,
    unit_ids: Sequence[uuid.UUID],
) -> TemplateOut:
    """Make these org units use the template for documents of its kind."""
    tenant_id = _admin(ctx)
    row = _visible(session, tenant_id, template_id)
    wanted = list(dict.fromkeys(unit_ids))
    if not wanted:
        raise InvalidInput("invalid_input", "name at least one org unit")
    for unit_id in wanted:
        unit = directory.org_unit(unit_id)
        if unit is None or unit.tenant_id != tenant_id:
            raise NotFound("unit_not_found", f"no org unit {unit_id} in this tenant")
        if unit.kind is OrgUnitKind.section:
            raise InvalidInput("not_a_division", "templates are assigned to units and divisions")
    queries.assign_template(
        session, tenant_id, row.id, row.kind, wanted, clock.now(session), ctx.require_user()
    )
    session.commit()
    return _out(row, queries.assigned_units(session, tenant_id, [row.id])[row.id])


def set_step_time_limit(
    session: Session, ctx: CallContext, template_id: uuid.UUID, step_key: str, req: StepTimeLimit
) -> TemplateOut:
    """Set the time limit (working days) of one step: a new version of the template.

    The owner changes it: the tenant administrator a template of the tenant, the
    platform administrator the platform's default (which every unit without a
    template of its own follows from its next document on). Units assigned to
    the changed version move to the new one; running documents keep theirs.
    ``bad_time_limit`` for zero, negative or more than a year.
    """
    days = req.time_limit_days
    if days is not None and (isinstance(days, bool) or not 1 <= days <= MAX_TIME_LIMIT_DAYS):
        raise InvalidInput(
            "bad_time_limit",
            f"a time limit is a whole number of working days from 1 to {MAX_TIME_LIMIT_DAYS}",
        )
    user_id = ctx.require_user()
    if ctx.is_platform_admin:
        scope_session(session, bypass_rls=True)
        row = queries.template(session, template_id)
        if row is None or row.tenant_id is not None:
            raise NotFound("template_not_found", "no such platform template")
        owner = None
    else:
        owner = _reader(ctx)
        row = _visible(session, owner, template_id)
        if row.tenant_id is None:
            raise Forbidden(
                "not_template_owner", "the platform's default template is changed by the platform"
            )
        if Role.tenant_admin not in ctx.roles:
            raise Forbidden("tenant_admin_required", "only the tenant administrator does this")
    definition = TemplateDef.model_validate(row.definition)
    if step_key not in {s.key for s in definition.steps}:
        raise NotFound("step_not_found", f"no step {step_key!r} in the template")
    lock_scope = owner or "platform"
    queries.lock(session, f"routing:template:{lock_scope}:{row.code}")
    latest = queries.latest_template(session, owner, row.code)
    if latest is None or latest.id != row.id:
        raise Conflict("template_not_latest", "change the latest version of the template")
    changed = definition.model_copy(
        update={
            "steps": [
                s.model_copy(update={"time_limit_days": days}) if s.key == step_key else s
                for s in definition.steps
            ]
        }
    )
    validate_template(changed)
    now = clock.now(session)
    new = Template(
        id=uuid.uuid4(),
        tenant_id=owner,
        code=row.code,
        name=row.name,
        kind=row.kind,
        version=row.version + 1,
        definition=changed.model_dump(mode="json"),
        created_at=now,
        created_by=user_id,
    )
    session.add(new)
    session.flush()
    if owner is not None:
        queries.move_assignments(session, owner, row.id, new.id, now, user_id)
    session.commit()
    units = queries.assigned_units(session, owner, [new.id])[new.id] if owner else []
    return _out(new, units)
