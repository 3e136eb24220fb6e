"""Alembic environment of the identity service (run through services.common.migrate)."""

from services.identity.models import Base

from services.common.migrate import run_alembic_env

run_alembic_env(Base.metadata)
