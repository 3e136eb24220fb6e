"""Alembic environment of the metrics service (run through services.common.migrate)."""

from services.common.migrate import run_alembic_env
from services.metrics.models import Base

run_alembic_env(Base.metadata)
