"""Record a change: its audit row and (for state changes) its outbox event, in one go.

Both are written in the caller's transaction, so they are committed together
with the change or not at all.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.common.audit import append_audit
from services.common.context import CallContext
from services.common.events import emit
from services.identity.events import EVENTS

SOURCE = "identity"


def record(
    session: Session,
    ctx: CallContext,
    *,
    tenant_id: uuid.UUID | None,
    action: str,
    target_type: str,
    target_id: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    event: str | None = None,
    event_data: dict[str, Any] | None = None,
    actor_id: uuid.UUID | None = None,
) -> None:
    """Append to the tenant's audit chain and, with ``event``, to the outbox."""
    append_audit(
        session,
        tenant_id=tenant_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        actor_id=actor_id,
        before=before,
        after=after,
        ctx=ctx,
    )
    if event is not None:
        emit(session, EVENTS, event, event_data or after or {}, tenant_id=tenant_id, ctx=ctx)
