"""The gateway test harness: HTTP clients of a gateway from chosen client addresses,
signed-in users, the stable error body, the province (贵州省 and two cities) with its
org tree and staff, offices (省政府办公厅) for the incoming-document flows, and acting
on documents and tasks through the API."""

from __future__ import annotations

import contextlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg2

from services.common.settings import Settings
from tests.support.stacks import unique
from tests.support.waiting import eventually

PASSWORD = "Gongwen-2026-test"
API = "/api/v1"

_addresses = itertools.count(10)


def fresh_address() -> str:
    """A loopback address no other test of this session uses."""
    n = next(_addresses)
    return f"127.0.{n // 250}.{n % 250 + 2}"


def error_code(response: httpx.Response) -> str:
    """The code of the one error body every failure has (and check its shape)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return str(body["error"]["code"])


def expect_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert error_code(response) == code, response.text
    assert response.headers.get("X-Request-ID")
    return dict(response.json()["error"])


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


class Gateway:
    """HTTP clients of one gateway, from chosen client addresses."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._clients: list[httpx.Client] = []

    def client(self, token: str | None = None, *, address: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.HTTPTransport(local_address=address) if address else None
        client = httpx.Client(
            base_url=self.base_url + API,
            headers=headers,
            timeout=20,
            transport=transport,
            trust_env=False,
        )
        self._clients.append(client)
        return client

    def login(
        self,
        tenant: str | None,
        username: str,
        password: str = PASSWORD,
        *,
        address: str | None = None,
    ) -> User:
        anonymous = self.client(address=address)
        response = anonymous.post(
            "/auth/login", json={"tenant": tenant, "username": username, "password": password}
        )
        tokens = ok(response)
        return User(self, tokens, address)

    def close(self) -> None:
        for client in self._clients:
            client.close()


@dataclass
class User:
    """A signed-in user: tokens and an HTTP client carrying the access token."""

    gateway: Gateway
    tokens: dict[str, Any]
    address: str | None = None
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = self.gateway.client(self.tokens["access_token"], address=self.address)

    @property
    def access_token(self) -> str:
        return str(self.tokens["access_token"])

    @property
    def refresh_token(self) -> str:
        return str(self.tokens["refresh_token"])

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.patch(path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.put(path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.delete(path, **kwargs)

    def me(self) -> dict[str, Any]:
        return dict(ok(self.get("/me")))


PROVINCE = ("gz", "贵州省", None)
CITIES = (("gz-gy", "贵阳市", "gz"), ("gz-qdn", "黔东南州", "gz"))


@dataclass
class Tenants:
    """The onboarded tenants (by code) and a signed-in administrator of each."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    admins: dict[str, User] = field(default_factory=dict)
    admin_usernames: dict[str, str] = field(default_factory=dict)


def onboard(platform_admin: User, code: str, name: str, parent: str | None) -> httpx.Response:
    return platform_admin.post(
        "/tenants",
        json={
            "code": code,
            "name": name,
            "parent_code": parent,
            "admin": {
                "username": f"{code}-admin",
                "full_name": f"{name}管理员",
                "password": PASSWORD,
            },
        },
    )


@dataclass
class Org:
    """The province's org tree and staff, built by its tenant administrator."""

    admin: User
    root: dict[str, Any]
    units: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # by username

    def unit_id(self, name: str) -> str:
        return str(self.units[name]["id"])

    def user_id(self, username: str) -> str:
        return str(self.users[username]["id"])


def create_unit(
    admin: User, name: str, kind: str, parent_id: str | None, **extra: Any
) -> dict[str, Any]:
    body = {"name": name, "kind": kind, "parent_id": parent_id, **extra}
    return dict(ok(admin.post("/org-units", json=body), 201))


def create_user(
    admin: User,
    username: str,
    full_name: str,
    org_unit_id: str,
    roles: list[str],
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "username": username,
        "full_name": full_name,
        "password": PASSWORD,
        "org_unit_id": org_unit_id,
        "roles": roles,
        **extra,
    }
    return dict(ok(admin.post("/users", json=body), 201))


#: (name, kind, parent name) — units → divisions → sections
TREE = (
    ("省政府办公厅", "unit", None),
    ("文书处", "division", "省政府办公厅"),
    ("收文科", "section", "文书处"),
    ("电子政务处", "division", "省政府办公厅"),
    ("网络科", "section", "电子政务处"),
    ("秘书处", "division", "省政府办公厅"),
    ("省发展改革委", "unit", None),
    ("综合处", "division", "省发展改革委"),
)


#: (username, full name, unit, roles)
STAFF = (
    ("wenshu1", "张文书", "收文科", ["registrar"]),
    ("chengban1", "李承办", "网络科", ["handler"]),
    ("chuzhang1", "王处长", "电子政务处", ["division_head"]),
    ("tingzhang1", "赵厅长", "省政府办公厅", ["office_leader"]),
    ("shengzhang1", "刘省长", "省政府办公厅", ["gov_leader"]),
    ("mishu1", "钱秘书", "秘书处", ["secretary"]),
    ("mishu2", "孙秘书", "秘书处", ["secretary"]),
    ("shenji1", "周审计", "文书处", ["auditor"]),
)


def wait_until(predicate: Any, timeout: float, what: str, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            last = predicate()
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")


SHANGHAI_TZ = "Asia/Shanghai"


@dataclass
class Person:
    """A member of staff of the incoming-documents tenant, signed in from an address of
    their own (so that the many requests of a flow spend nobody else's allowance)."""

    id: str
    username: str
    full_name: str
    unit_id: str
    roles: list[str]
    user: User

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.user.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.user.post(path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.user.put(path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.user.patch(path, **kwargs)


#: (unit name, kind) under the tenant's root
INCOMING_UNITS = (
    ("文书处", "division"),
    ("电子政务处", "division"),
    ("综合处", "division"),
    ("法规处", "division"),
    ("秘书处", "division"),
)


#: (username, full name, unit — None for the root, roles)
INCOMING_STAFF = (
    ("wenshu", "张文书", "文书处", ["registrar"]),
    ("wenshu2", "陈收发", "文书处", ["registrar"]),
    ("shenji", "周审计", "文书处", ["auditor"]),
    ("dz_ban1", "李承办", "电子政务处", ["handler"]),
    ("dz_ban2", "吴承办", "电子政务处", ["handler"]),
    ("dz_chu", "王处长", "电子政务处", ["division_head"]),
    ("zh_ban", "郑承办", "综合处", ["handler"]),
    ("zh_chu", "冯处长", "综合处", ["division_head"]),
    ("fg_ban", "韩承办", "法规处", ["handler"]),
    ("ting1", "赵厅长", None, ["office_leader"]),
    ("ting2", "钱副厅长", None, ["office_leader"]),
    ("mishu", "孙秘书", "秘书处", ["secretary"]),
)


@dataclass
class Office:
    """One tenant for incoming documents: a registry (文书处), business divisions with
    handlers and heads, office leaders, a secretary and an auditor, all signed in."""

    gw: Gateway
    code: str
    tenant: dict[str, Any]
    admin: User
    root_id: str
    units: dict[str, str] = field(default_factory=dict)  # name → id
    people: dict[str, Person] = field(default_factory=dict)  # username → person

    def __getitem__(self, username: str) -> Person:
        return self.people[username]

    def add_unit(self, name: str, kind: str = "division") -> str:
        self.units[name] = str(create_unit(self.admin, name, kind, self.root_id)["id"])
        return self.units[name]

    def add_person(
        self, username: str, full_name: str, unit: str | None, roles: list[str]
    ) -> Person:
        unit_id = self.units[unit] if unit else self.root_id
        made = create_user(self.admin, username, full_name, unit_id, roles)
        person = Person(
            id=str(made["id"]),
            username=username,
            full_name=full_name,
            unit_id=unit_id,
            roles=roles,
            user=self.gw.login(self.code, username, address=fresh_address()),
        )
        self.people[username] = person
        return person


def setup_office(gw: Gateway, platform_admin: User, code: str, name: str) -> Office:
    tenant = ok(onboard(platform_admin, code, name, None), 201)
    admin = gw.login(code, f"{code}-admin", address=fresh_address())
    root = next(u for u in ok(admin.get("/org-units")) if u["parent_id"] is None)
    return Office(gw=gw, code=code, tenant=tenant, admin=admin, root_id=str(root["id"]))


def real_pdf(text: str = "Gongwen scan") -> bytes:
    """A small but complete one-page PDF (catalog, pages, page, content, xref table)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def register(person: Person, title: str, **fields: Any) -> dict[str, Any]:
    """收文登记 through the gateway (defaults for what the test does not care about)."""
    body = {
        "title": title,
        "source_org": "国务院办公厅",
        "received_date": "2026-11-20",
        "urgency": "平件",
        "secrecy": "非密",
        "page_count": 2,
        **fields,
    }
    return dict(ok(person.post("/documents", json=body), 201))


def upload(person: Person, document_id: str, *files: tuple[str, bytes]) -> httpx.Response:
    return person.post(
        f"/documents/{document_id}/files",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


def todo(person: Person, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    page = ok(person.get("/tasks/todo", params={"limit": limit, "offset": offset}))
    return list(page["items"])


def open_task(person: Person, document_id: str, step: str | None = None) -> dict[str, Any]:
    """The open task of ``document_id`` in the person's to-do list (waits for it)."""

    def find() -> dict[str, Any] | None:
        for task in todo(person):
            if task["document_id"] == document_id and (step is None or task["step"] == step):
                return task
        return None

    return dict(eventually(find))


def act(person: Person, task_id: str, **body: Any) -> dict[str, Any]:
    return dict(ok(person.post(f"/tasks/{task_id}/actions", json=body)))


def onboard_province(gw: Gateway, platform_admin: User) -> Tenants:
    """贵州省 (gz) and its cities 贵阳市 (gz-gy) and 黔东南州 (gz-qdn), onboarded by the
    platform administrator, each with its administrator signed in."""
    out = Tenants()
    for code, name, parent in (PROVINCE, *CITIES):
        out.records[code] = ok(onboard(platform_admin, code, name, parent), 201)
        out.admin_usernames[code] = f"{code}-admin"
        out.admins[code] = gw.login(code, f"{code}-admin")
    return out


def build_org(tenants: Tenants) -> Org:
    """The province's org tree (TREE) and staff (STAFF), made by its administrator."""
    admin = tenants.admins["gz"]
    units = ok(admin.get("/org-units"))
    roots = [u for u in units if u["parent_id"] is None]
    assert len(roots) == 1 and roots[0]["name"] == "贵州省"
    built = Org(admin=admin, root=roots[0])
    for name, kind, parent in TREE:
        parent_id = built.unit_id(parent) if parent else str(built.root["id"])
        built.units[name] = create_unit(admin, name, kind, parent_id)
    for username, full_name, unit, roles in STAFF:
        built.users[username] = create_user(admin, username, full_name, built.unit_id(unit), roles)
    return built


def signing_key_of(settings: Settings) -> tuple[str, str]:
    """(kid, private key PEM) of the identity service's current signing key."""
    conn = psycopg2.connect(
        host=settings.pg_host,
        port=settings.pg_port,
        user=settings.pg_admin_user,
        password=settings.pg_admin_password or None,
        dbname=settings.database_name("identity"),
    )
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT kid, private_key_pem FROM signing_keys ORDER BY created_at DESC LIMIT 1"
            )
            row = cur.fetchone()
    finally:
        conn.close()
    assert row is not None, "the identity service has no signing key"
    return str(row[0]), str(row[1])


def incoming_office(gw: Gateway, platform_admin: User) -> Office:
    """收文测试厅: the tenant of the incoming-documents tests (items 1–5 of the issue)."""
    built = setup_office(gw, platform_admin, unique("sw"), "收文测试厅")
    for name, kind in INCOMING_UNITS:
        built.add_unit(name, kind)
    for username, full_name, unit, roles in INCOMING_STAFF:
        built.add_person(username, full_name, unit, roles)
    return built


def other_incoming_office(gw: Gateway, platform_admin: User) -> Office:
    """Another tenant with a registry, a division and a handler (tenant isolation)."""
    built = setup_office(gw, platform_admin, unique("qt"), "另一个厅")
    for name in ("文书处", "办公室"):
        built.add_unit(name)
    built.add_person("wenshu", "外文书", "文书处", ["registrar"])
    built.add_person("ban", "外承办", "办公室", ["handler"])
    return built
