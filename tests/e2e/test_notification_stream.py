"""The live notification stream through the gateway (server-sent events): an urge
reaches the open stream of its holder within a second or two, without asking; a
stream resumed with Last-Event-ID gets exactly what it missed — nothing lost, nothing
twice; a new stream starts now; a bad Last-Event-ID is refused."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from tests.support.gateway import (
    Gateway,
    Office,
    Person,
    User,
    act,
    expect_error,
    ok,
    register,
    setup_office,
)
from tests.support.stacks import unique
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def office(gw: Gateway, platform_admin: User) -> Office:
    built = setup_office(gw, platform_admin, unique("ls"), "实时通知厅")
    for unit in ("文书处", "电子政务处"):
        built.add_unit(unit)
    built.add_person("wenshu", "张文书", "文书处", ["registrar"])
    built.add_person("ban", "李承办", "电子政务处", ["handler"])
    return built


class Stream:
    """One open stream, read in a thread: the events as they arrive."""

    def __init__(self, gw: Gateway, person: Person, last_event_id: int | None = None) -> None:
        headers = {"Authorization": f"Bearer {person.user.access_token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.client = httpx.Client(base_url=gw.base_url, timeout=httpx.Timeout(5, read=30))
        self.events: list[dict[str, Any]] = []
        self.response = self.client.send(
            self.client.build_request("GET", "/api/v1/notifications/stream", headers=headers),
            stream=True,
        )
        assert self.response.status_code == 200, self.response.read()
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event: dict[str, Any] = {}
        try:
            for line in self.response.iter_lines():
                if line == "":
                    if event:
                        self.events.append(event)
                    event = {}
                elif line.startswith(":"):
                    self.events.append({"comment": line})
                else:
                    field, _, value = line.partition(": ")
                    event[field] = json.loads(value) if field == "data" else value
        except (httpx.HTTPError, RuntimeError):
            pass

    def notifications(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == "notification"]

    def close(self) -> None:
        self.response.close()
        self.client.close()


def urged_task(office: Office, title: str) -> dict[str, Any]:
    """A 拟办 task held by the handler (the registrar registered and distributed it)."""
    registrar, handler = office["wenshu"], office["ban"]
    doc = register(registrar, title)
    out = ok(
        registrar.post(
            f"/documents/{doc['id']}/distribute", json={"lead_unit_id": office.units["电子政务处"]}
        )
    )
    [propose] = act(handler, out["tasks"][0]["id"], action="sign")["next_tasks"]
    return dict(propose)


def test_an_urge_arrives_on_the_open_stream_and_a_resumed_stream_misses_nothing(
    gw: Gateway, office: Office
):
    registrar, handler = office["wenshu"], office["ban"]
    task = urged_task(office, "关于报送政务数据目录的通知")
    time.sleep(1.0)  # the to-dos of the setup are written before the stream starts
    stream = Stream(gw, handler)
    try:
        eventually(lambda: any(e.get("event") == "unread" for e in stream.events))
        assert stream.notifications() == []  # a new stream starts now
        started = time.monotonic()
        ok(registrar.post(f"/tasks/{task['id']}/urge", json={"message": "请今日办理"}))
        [first] = eventually(stream.notifications, timeout=10, what="the urge on the stream")
        assert time.monotonic() - started < 5
        assert first["data"]["notification"]["kind"] == "urge"
        assert first["data"]["unread_count"] >= 1
        last_id = int(first["id"])
    finally:
        stream.close()

    # while nobody listens: two more urges
    for message in ("第二次催办", "第三次催办"):
        ok(registrar.post(f"/tasks/{task['id']}/urge", json={"message": message}))
    eventually(
        lambda: len(
            [
                n
                for n in ok(handler.get("/notifications", params={"limit": 50}))["items"]
                if n["kind"] == "urge"
            ]
        )
        == 3
    )
    resumed = Stream(gw, handler, last_event_id=last_id)
    try:
        got = eventually(lambda: len(resumed.notifications()) >= 2 and resumed.notifications())
        time.sleep(1.0)  # anything repeated would show up by now
        bodies = [e["data"]["notification"]["body"] for e in resumed.notifications()]
        assert sorted(b.rsplit("：", 1)[-1] for b in bodies) == ["第三次催办", "第二次催办"]
        assert [int(e["id"]) for e in got] == sorted(int(e["id"]) for e in got)
        assert all(int(e["id"]) > last_id for e in got)
    finally:
        resumed.close()


def test_a_bad_last_event_id_is_refused(office: Office):
    expect_error(
        office["ban"].get("/notifications/stream", headers={"Last-Event-ID": "abc"}),
        422,
        "bad_last_event_id",
    )
    expect_error(
        office["ban"].get("/notifications/stream", params={"after": -1}), 422, "invalid_input"
    )
