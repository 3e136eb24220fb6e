"""Alembic environment of the identity service (run through services.common.migrate)."""

from services.common.migrate import run_alembic_env
from services.identity.models import Base

run_alembic_env(Base.metadata)
