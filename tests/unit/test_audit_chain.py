"""The audit trail's hash chain (services.common.audit), without a database."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.common.audit import (
    GENESIS_HASH,
    canonical_json,
    check_links,
    compute_hash,
    normalise_snapshot,
)

TENANT = uuid.UUID("11111111-1111-1111-1111-111111111111")
ACTOR = uuid.UUID("22222222-2222-2222-2222-222222222222")


def _row(row_id: int, **changes):
    row = {
        "id": row_id,
        "tenant_id": TENANT,
        "occurred_at": dt.datetime(2026, 9, 30, 8, 0, row_id, 123456, tzinfo=dt.UTC),
        "actor_id": ACTOR,
        "on_behalf_of": None,
        "action": "user.created",
        "target_type": "user",
        "target_id": str(row_id),
        "client_ip": "127.0.0.9",
        "request_id": f"req-{row_id}",
        "before": None,
        "after": {"full_name": "张文书", "roles": ["registrar"]},
    }
    row.update(changes)
    return row


def _chain(n: int):
    rows, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        row = _row(i)
        row["prev_hash"] = prev
        row["hash"] = prev = compute_hash(row, prev)
        rows.append(row)
    return rows


def test_hash_is_stable_and_keeps_chinese_text_as_is():
    row = _row(1)
    assert compute_hash(row, GENESIS_HASH) == compute_hash(dict(row), GENESIS_HASH)
    assert "张文书" in canonical_json(row)
    assert len(compute_hash(row, GENESIS_HASH)) == 64


def test_the_same_instant_in_another_time_zone_hashes_the_same():
    shanghai = dt.timezone(dt.timedelta(hours=8))
    row = _row(1)
    moved = dict(row, occurred_at=row["occurred_at"].astimezone(shanghai))
    assert compute_hash(row, GENESIS_HASH) == compute_hash(moved, GENESIS_HASH)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", "user.deactivated"),
        ("actor_id", uuid.uuid4()),
        ("client_ip", "10.0.0.1"),
        ("after", {"full_name": "李文书", "roles": ["registrar"]}),
        ("before", {}),
        ("id", 99),
    ],
)
def test_any_changed_field_changes_the_hash(field, value):
    row = _row(1)
    assert compute_hash(row, GENESIS_HASH) != compute_hash(
        dict(row, **{field: value}), GENESIS_HASH
    )


def test_the_previous_hash_is_part_of_the_hash():
    row = _row(1)
    assert compute_hash(row, GENESIS_HASH) != compute_hash(row, "f" * 64)


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError):
        canonical_json(_row(1, occurred_at=dt.datetime(2026, 1, 1)))


def test_an_intact_chain_verifies():
    report = check_links(_chain(5))
    assert report.as_dict() == {"ok": True, "checked": 5, "first_broken_id": None, "reason": None}


def test_an_edited_row_is_the_first_broken_link():
    rows = _chain(5)
    rows[2]["after"] = {"full_name": "篡改", "roles": ["tenant_admin"]}
    report = check_links(rows)
    assert (report.ok, report.first_broken_id, report.reason) == (False, 3, "hash_mismatch")


def test_a_deleted_row_breaks_the_link_of_the_next():
    rows = _chain(5)
    del rows[1]
    report = check_links(rows)
    assert (report.ok, report.first_broken_id, report.reason) == (False, 3, "prev_hash_mismatch")


def test_a_rehashed_edit_still_breaks_the_following_link():
    rows = _chain(4)
    rows[1]["action"] = "forged"
    rows[1]["hash"] = compute_hash(rows[1], rows[1]["prev_hash"])
    report = check_links(rows)
    assert (report.first_broken_id, report.reason) == (3, "prev_hash_mismatch")


def test_snapshots_are_reduced_to_plain_json():
    value = normalise_snapshot({"id": uuid.UUID(int=1), "when": dt.date(2026, 10, 10), "n": 3})
    assert value == {"id": str(uuid.UUID(int=1)), "when": "2026-10-10", "n": 3}
    assert normalise_snapshot(None) is None
