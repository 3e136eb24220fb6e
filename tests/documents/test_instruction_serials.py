"""A 厅领导's instruction serials (领导批示编号) in the real documents database: the
counter row is advanced in the transaction that records the instruction, so a
transaction that fails gives its number back (no gap) and a concurrent one waits for
it (no duplicate)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from services.common.settings import Settings
from services.documents import queries


@pytest.fixture(scope="module")
def engine(settings: Settings, documents_db: str) -> Iterator[Engine]:
    url = URL.create(
        "postgresql+psycopg2",
        username=settings.pg_admin_user,
        password=settings.pg_admin_password or None,
        host=settings.pg_host,
        port=settings.pg_port,
        database=documents_db,
    )
    made = create_engine(url)
    yield made
    made.dispose()


def test_a_failed_instruction_gives_its_serial_back(engine: Engine):
    tenant, leader = uuid.uuid4(), uuid.uuid4()
    with Session(engine) as session:
        assert queries.next_serial(session, tenant, leader, 2026) == 1
        session.commit()
    with Session(engine) as session:  # the instruction's transaction fails after numbering
        assert queries.next_serial(session, tenant, leader, 2026) == 2
        session.rollback()
    with Session(engine) as session:
        assert queries.next_serial(session, tenant, leader, 2026) == 2  # no gap
        assert queries.next_serial(session, tenant, leader, 2027) == 1  # a year of its own
        assert queries.next_serial(session, tenant, uuid.uuid4(), 2026) == 1  # per leader
        session.commit()


def test_a_concurrent_instruction_waits_for_the_first(engine: Engine):
    tenant, leader = uuid.uuid4(), uuid.uuid4()
    first = Session(engine)
    got: dict[str, Any] = {}
    try:
        assert queries.next_serial(first, tenant, leader, 2026) == 1

        def second() -> None:
            with Session(engine) as session:
                got["serial"] = queries.next_serial(session, tenant, leader, 2026)
                session.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # blocked on the counter row until the first ends
        first.rollback()  # … which fails: its number goes to the waiting one
        thread.join(5)
        assert got == {"serial": 1}
    finally:
        first.close()
