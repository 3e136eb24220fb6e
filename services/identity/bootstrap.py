"""The platform administrator exists from the first start (idempotent, safe when
several instances start at once: they take turns on an advisory lock)."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session, sessionmaker

from services.common.audit import append_audit
from services.common.db import scope_session
from services.common.settings import Settings
from services.common.vocabulary import Role
from services.identity import passwords, queries
from services.identity.models import User

log = logging.getLogger(__name__)


def ensure_platform_admin(factory: sessionmaker[Session], settings: Settings) -> bool:
    """Create the platform administrator if missing; True if it was created now."""
    with factory() as session:
        scope_session(session, bypass_rls=True)
        with session.begin():
            queries.advisory_lock(session, "identity:bootstrap")
            username = settings.platform_admin_username
            if queries.user_by_username(session, None, username) is not None:
                return False
            admin = User(
                id=uuid.uuid4(),
                tenant_id=None,
                username=username,
                full_name="平台管理员 (platform administrator)",
                password_hash=passwords.hash_password(settings.platform_admin_password),
                org_unit_id=None,
                roles=[Role.platform_admin.value],
            )
            session.add(admin)
            session.flush()
            append_audit(
                session,
                tenant_id=None,
                action="platform_admin.bootstrapped",
                target_type="user",
                target_id=admin.id,
                after={"username": username, "roles": admin.roles},
            )
    log.info("created the platform administrator %r", username)
    return True
