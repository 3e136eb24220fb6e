"""Alembic environment of the ledger service (run through services.common.migrate)."""

from services.common.migrate import run_alembic_env
from services.ledger.models import Base

run_alembic_env(Base.metadata)
