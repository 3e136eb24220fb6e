"""Search (查询): title words in Chinese, 文号 exact or by prefix, 来文单位, received
dates, status and division; only what the caller may see; newest first; paged.

A tenant of its own, so that totals are exact."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.support.documents import Office, onboard
from tests.support.waiting import eventually

TITLES = [
    # title, source, number, received, (lead, assisting)
    (
        "国务院办公厅关于加强政务数据共享的通知",
        "国务院办公厅",
        "国办发〔2026〕12号",
        "2026-01-05",
        "a",
    ),
    ("关于做好2026年元旦春节期间有关工作的通知", "国务院", "国发〔2026〕1号", "2026-01-20", None),
    (
        "省政府办公厅关于印发电子政务网建设方案的函",
        "贵州省人民政府办公厅",
        "黔府办函〔2026〕65号",
        "2026-02-03",
        "b",
    ),
    (
        "关于政务服务数据统计的报告",
        "贵州省大数据发展管理局",
        "黔数据报〔2026〕7号",
        "2026-03-15",
        None,
    ),
    (
        "关于开展电子政务外网安全检查的通知",
        "国家电子政务外网管理中心",
        "政务外网函〔2026〕3号",
        "2026-03-16",
        "a+b",
    ),
]


@pytest.fixture(scope="module")
def lps(rpc, platform_admin) -> Office:
    return onboard(rpc, platform_admin, "gz-lps", "六盘水市")


@pytest.fixture(scope="module")
def docs(lps, routing_events):
    out = []
    for title, source, number, received, sent in TITLES:
        doc = lps.registrar.call(
            "register_document",
            document={
                "title": title,
                "source_org": source,
                "doc_number": number,
                "received_date": received,
                "urgency": "平件",
            },
        )
        out.append(doc)
        if sent:
            lead = lps.division_b if sent == "b" else lps.division_a
            assisting = [lps.division_b] if sent == "a+b" else []
            routing_events.publish(
                "document.distributed",
                {
                    "document_id": doc["id"],
                    "lead_unit_id": lead,
                    "assisting_unit_ids": assisting,
                    "distributed_at": dt.datetime.now(dt.UTC).isoformat(),
                    "distributed_by": lps.registrar.id,
                },
                actor=lps.registrar,
            )
    expected = sum(1 for t in TITLES if t[4])
    eventually(lambda: find(lps.registrar, status="distributed")["total"] == expected)
    return out


def find(person, **query):
    return person.call("search_documents", query=query)


def titles(page):
    return [d["title"] for d in page["items"]]


def test_chinese_title_words_find_documents(lps, docs):
    clerk = lps.registrar
    assert titles(find(clerk, q="数据共享")) == [TITLES[0][0]]
    assert titles(find(clerk, q="电子政务")) == [TITLES[4][0], TITLES[2][0]]  # newest first
    assert titles(find(clerk, q="政务 通知")) == [TITLES[4][0], TITLES[0][0]]  # every word
    assert titles(find(clerk, q="函")) == [TITLES[2][0]]  # one character
    assert titles(find(clerk, q="2026年元旦")) == [TITLES[1][0]]
    # the words must be in the title as written, not merely their characters
    assert find(clerk, q="数据政务")["total"] == 0
    assert find(clerk, q="共享数据")["total"] == 0
    assert find(clerk, q="通报")["total"] == 0


def test_doc_number_exact_or_prefix(lps, docs):
    clerk = lps.registrar
    assert titles(find(clerk, doc_number="国办发〔2026〕12号")) == [TITLES[0][0]]
    assert titles(find(clerk, doc_number="黔")) == [TITLES[3][0], TITLES[2][0]]
    assert titles(find(clerk, doc_number="国")) == [TITLES[1][0], TITLES[0][0]]
    assert find(clerk, doc_number="〔2026〕")["total"] == 0  # a prefix, not anywhere
    assert find(clerk, doc_number="国%")["total"] == 0  # LIKE wildcards are plain characters


def test_source_org_contains(lps, docs):
    clerk = lps.registrar
    assert titles(find(clerk, source_org="贵州省")) == [TITLES[3][0], TITLES[2][0]]
    assert titles(find(clerk, source_org="外网")) == [TITLES[4][0]]
    assert find(clerk, source_org="国务院")["total"] == 2


def test_received_date_range_and_status_and_division(lps, docs):
    clerk = lps.registrar
    assert titles(find(clerk, received_from="2026-01-20", received_to="2026-03-15")) == [
        TITLES[3][0],
        TITLES[2][0],
        TITLES[1][0],
    ]
    assert find(clerk, received_to="2026-01-04")["total"] == 0
    assert titles(find(clerk, status="registered")) == [TITLES[3][0], TITLES[1][0]]
    assert titles(find(clerk, unit_id=lps.division_a)) == [TITLES[4][0], TITLES[0][0]]
    assert titles(find(clerk, unit_id=lps.division_b)) == [
        TITLES[4][0],
        TITLES[2][0],
    ]  # 主办 or 协办
    assert titles(find(clerk, q="通知", unit_id=lps.division_b, status="distributed")) == [
        TITLES[4][0]
    ]


def test_search_shows_only_what_the_caller_may_see(lps, docs):
    assert find(lps.leader)["total"] == 5 and find(lps.auditor)["total"] == 5
    assert titles(find(lps.handler_a)) == [TITLES[4][0], TITLES[0][0]]
    assert titles(find(lps.handler_b, q="政务")) == [TITLES[4][0], TITLES[2][0]]
    assert find(lps.outsider)["total"] == 0
    assert find(lps.secretary, q="通知")["total"] == 0


def test_another_tenant_sees_none_of_them(office, lps, docs):
    assert find(office.registrar, q="六盘水")["total"] == 0
    assert find(office.registrar, doc_number="黔数据报〔2026〕7号")["total"] == 0


def test_newest_first_and_paged(lps, docs):
    clerk = lps.registrar
    page1 = find(clerk, limit=2)
    page2 = find(clerk, limit=2, offset=2)
    page3 = find(clerk, limit=2, offset=4)
    assert (page1["total"], page1["limit"], page1["offset"]) == (5, 2, 0)
    assert titles(page1) + titles(page2) + titles(page3) == [t[0] for t in reversed(TITLES)]
    stamps = [d["registered_at"] for d in page1["items"] + page2["items"] + page3["items"]]
    assert stamps == sorted(stamps, reverse=True)


def test_a_bad_query_is_invalid_input(lps):
    from services.common.errors import InvalidInput
    from tests.support.identity import expect_error

    expect_error(
        InvalidInput, "invalid_input", lps.registrar.call, "search_documents", query={"limit": 1000}
    )
    expect_error(
        InvalidInput,
        "invalid_input",
        lps.registrar.call,
        "search_documents",
        query={"unit_id": str(uuid.uuid4()), "colour": "red"},
    )
