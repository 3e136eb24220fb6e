"""Alembic environment of the routing service (run through services.common.migrate)."""

from services.common.migrate import run_alembic_env
from services.routing.models import Base

run_alembic_env(Base.metadata)
