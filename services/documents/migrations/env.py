"""Alembic environment of the documents service (run through services.common.migrate)."""

from services.common.migrate import run_alembic_env
from services.documents.models import Base

run_alembic_env(Base.metadata)
