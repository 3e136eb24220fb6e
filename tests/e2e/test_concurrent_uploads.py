"""Many registrars uploading at once over slow connections: each upload finishes or is
refused at once with 503 ``uploads_busy`` (never queued for ever), downloads of the
same gateway answer in the middle of it all, and the gateway keeps working after.

A gateway of its own runs with ``UPLOAD_SLOTS=2`` and short timeouts; three times
as many uploads as slots trickle their bodies in small pieces.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from devstack.stack import Stack
from tests.support.faults import extra_gateway
from tests.support.gateway import Office, Person, expect_error, ok, real_pdf, register

SLOTS = 2
BOUNDARY = "gongwen-slow-" + "5" * 16


def trickled(filename: str, data: bytes, pieces: int, pause: float) -> Iterator[bytes]:
    """A multipart body with one file, sent in ``pieces`` pieces ``pause`` seconds apart."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    step = -(-len(data) // pieces)
    for i in range(0, len(data), step):
        time.sleep(pause)
        yield data[i : i + step]
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def slow_upload(
    url: str, token: str, document_id: str, data: bytes, pieces: int = 10, pause: float = 0.3
) -> httpx.Response:
    with httpx.Client(timeout=60, trust_env=False) as client:
        return client.post(
            f"{url}/api/v1/documents/{document_id}/files",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
            content=trickled("扫描件.pdf", data, pieces, pause),
        )


def api(url: str, person: Person) -> httpx.Client:
    return httpx.Client(
        base_url=url + "/api/v1",
        headers={"Authorization": f"Bearer {person.user.access_token}"},
        timeout=20,
        trust_env=False,
    )


def test_slow_concurrent_uploads_finish_or_are_refused_and_downloads_still_answer(
    office: Office, stack: Stack
):
    registrar = office["wenshu"]
    token = registrar.user.access_token
    with extra_gateway(
        stack,
        "upload-slots",
        UPLOAD_SLOTS=str(SLOTS),
        UPLOAD_IDLE_TIMEOUT="3",
        UPLOAD_DEADLINE="30",
    ) as gateway:
        gateway.wait_ready()
        with api(gateway.url, registrar) as client:
            # a scan to download while the uploads run
            scan = real_pdf("download me") + b"%" + b"1" * 50_000
            doc = register(registrar, "关于做好年底政务公开工作的通知(并发上传)")
            [stored] = ok(
                client.post(f"/documents/{doc['id']}/files", files=[("files", ("正文.pdf", scan))]),
                201,
            )
            targets = [register(registrar, f"并发上传测试件{i}") for i in range(3 * SLOTS)]
            data = real_pdf("slow scan") + b"%" + b"2" * 30_000

            with ThreadPoolExecutor(max_workers=len(targets)) as pool:
                futures = [
                    pool.submit(slow_upload, gateway.url, token, target["id"], data)
                    for target in targets
                ]
                time.sleep(1.0)  # every upload is under way or refused now
                started = time.monotonic()
                download = client.get(f"/files/{stored['id']}/content")
                elapsed = time.monotonic() - started
                assert download.status_code == 200, download.text
                assert download.content == scan
                assert elapsed < 1.5, f"a download waited {elapsed:.2f}s behind the uploads"
                results = [f.result(timeout=60) for f in futures]

            attached: list[dict[str, Any]] = []
            refused = 0
            for target, response in zip(targets, results, strict=True):
                if response.status_code == 503:
                    expect_error(response, 503, "uploads_busy")
                    assert int(response.headers["Retry-After"]) > 0
                    refused += 1
                    assert ok(client.get(f"/documents/{target['id']}"))["files"] == []
                else:
                    [file] = ok(response, 201)
                    assert file["size"] == len(data)
                    attached.append(file)
            assert len(attached) >= SLOTS, [r.status_code for r in results]
            assert refused >= 1, [r.status_code for r in results]

            # afterwards the same gateway uploads and downloads as before
            [again] = ok(
                client.post(
                    f"/documents/{targets[-1]['id']}/files",
                    files=[("files", ("补充.pdf", scan))],
                ),
                201,
            )
            assert client.get(f"/files/{again['id']}/content").content == scan
            assert client.get(f"/files/{attached[0]['id']}/content").content == data


def test_an_upload_that_stops_sending_gets_408_and_frees_its_slot(office: Office, stack: Stack):
    registrar = office["wenshu"]
    with extra_gateway(
        stack, "upload-idle", UPLOAD_SLOTS="1", UPLOAD_IDLE_TIMEOUT="1.5", UPLOAD_DEADLINE="30"
    ) as gateway:
        gateway.wait_ready()
        doc = register(registrar, "关于上传中断的测试件")
        data = real_pdf("stalled") + b"%" + b"3" * 10_000
        body = b"".join(trickled("stalled.pdf", data, 1, 0))
        head = (
            f"POST /api/v1/documents/{doc['id']}/files HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{gateway.port}\r\n"
            f"Authorization: Bearer {registrar.user.access_token}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as conn:
            conn.sendall(head + body[: len(body) // 2])  # then nothing more
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
        waited = time.monotonic() - started
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 408"), answer
        assert b'"upload_timeout"' in rest
        assert 1.0 < waited < 8, waited
        with api(gateway.url, registrar) as client:
            assert ok(client.get(f"/documents/{doc['id']}"))["files"] == []
            # the only slot is free again
            [file] = ok(
                client.post(f"/documents/{doc['id']}/files", files=[("files", ("正文.pdf", data))]),
                201,
            )
            assert file["size"] == len(data)
