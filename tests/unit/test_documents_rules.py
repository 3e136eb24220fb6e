"""Rules of the documents service: secrecy and urgency labels, classified refusal,
who sees a document, states, and the grams of Chinese titles."""

from __future__ import annotations

import uuid

import pytest

from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.inputs import parse
from services.common.vocabulary import Urgency
from services.documents import rules
from services.documents.schemas import DocumentRegister, Secrecy

BASE = {
    "title": "关于做好2026年元旦春节期间有关工作的通知",
    "source_org": "国务院办公厅",
    "received_date": "2026-11-20",
}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("特急", Urgency.extra_urgent),
        ("加急", Urgency.urgent),
        ("平件", Urgency.normal),
        (" 加急 ", Urgency.urgent),
        ("urgent", Urgency.urgent),
    ],
)
def test_urgency_is_read_from_its_chinese_label_or_its_name(label, expected):
    assert parse(DocumentRegister, {**BASE, "urgency": label}).urgency is expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("非密", Secrecy.none),
        ("内部", Secrecy.internal),
        ("秘密", Secrecy.secret),
        ("机密", Secrecy.confidential),
        ("绝密", Secrecy.top_secret),
        ("internal", Secrecy.internal),
    ],
)
def test_secrecy_is_read_from_its_chinese_label_or_its_name(label, expected):
    assert parse(DocumentRegister, {**BASE, "secrecy": label}).secrecy is expected


def test_an_unknown_label_is_invalid_input():
    with pytest.raises(InvalidInput) as info:
        parse(DocumentRegister, {**BASE, "urgency": "很急"})
    assert info.value.code == "invalid_input" and "urgency" in info.value.message


@pytest.mark.parametrize("level", [Secrecy.secret, Secrecy.confidential, Secrecy.top_secret])
def test_classified_documents_are_refused(level):
    with pytest.raises(InvalidInput) as info:
        rules.check_storable(level)
    assert info.value.code == "classified_refused"


@pytest.mark.parametrize("level", [Secrecy.none, Secrecy.internal])
def test_unclassified_and_internal_documents_may_be_stored(level):
    rules.check_storable(level)


def test_registry_auditors_and_leaders_see_everything_others_only_what_was_sent_to_them():
    me, my_unit, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for role in ("registrar", "auditor", "office_leader", "gov_leader"):
        assert rules.may_see({role}, me, my_unit, [])
    assert not rules.may_see({"handler"}, me, my_unit, [])
    assert not rules.may_see({"handler", "tenant_admin"}, me, my_unit, [("unit", other)])
    assert rules.may_see({"handler"}, me, my_unit, [("unit", my_unit)])
    assert rules.may_see({"secretary"}, me, None, [("user", me)])
    assert not rules.may_see({"handler"}, me, my_unit, [("user", my_unit)])  # kinds differ


def test_only_registrars_register():
    rules.require_registrar({"registrar", "handler"})
    with pytest.raises(Forbidden):
        rules.require_registrar({"handler", "office_leader"})


def test_states_move_forward_only_and_an_archived_document_cannot_change():
    assert rules.status_after("registered", "distributed") == "distributed"
    assert rules.status_after("distributed", "distributed") is None
    assert rules.status_after("distributed", "completed") == "completed"
    assert rules.status_after("completed", "distributed") is None
    assert rules.status_after("completed", "archived") == "archived"
    assert rules.status_after("archived", "completed") is None
    rules.ensure_changeable("completed")
    with pytest.raises(Conflict) as info:
        rules.ensure_changeable("archived")
    assert info.value.code == "document_archived"


def test_title_grams_cover_every_character_and_adjacent_pair():
    grams = rules.title_grams("政务数据〔2026〕")
    assert {"政", "务", "政务", "务数", "数据", "2026"[:2], "02"} <= set(grams)
    assert "据2" not in grams  # 〔 separates
    assert rules.title_grams("ＡＢＣ通知") == rules.title_grams("abc通知")  # full-width, case


def test_query_grams_need_each_word_in_the_title():
    assert rules.query_grams("数据共享") == sorted({"数据", "据共", "共享"})
    assert rules.query_grams("函") == ["函"]
    assert rules.query_terms(" 政务  数据 ") == ["政务", "数据"]
    assert set(rules.query_grams("政务 数据")) <= set(rules.title_grams("加强政务数据共享"))
    assert rules.tsquery_text(["共享", "数据"]) == "'共享' & '数据'"
    assert rules.query_grams("〔〕") == []
