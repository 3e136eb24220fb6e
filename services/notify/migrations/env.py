"""Alembic environment of the notify service (run through services.common.migrate)."""

from services.common.migrate import run_alembic_env
from services.notify.models import Base

run_alembic_env(Base.metadata)
