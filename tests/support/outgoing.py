"""Outgoing documents (发文) for the tests through the gateway: a DOCX body made on the
spot, a draft with its body uploaded, and the route driven step by step."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from tests.support.gateway import Office, Person, act, ok, open_task
from tests.support.waiting import eventually

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def real_docx(text: str = "正文") -> bytes:
    """A minimal WordprocessingML package (what Word or WPS saves, reduced)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
            'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            f"{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return out.getvalue()


#: the first bytes of a Windows executable (a renamed .exe)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def upload_body(person: Person, document_id: str, name: str, data: bytes) -> Any:
    return person.post(
        f"/outgoing/{document_id}/body",
        files=[("files", (name, data, "application/octet-stream"))],
    )


def recipients(*units: tuple[str, str]) -> list[dict[str, str]]:
    """(tenant code, unit id) pairs as the draft names them."""
    return [{"tenant_code": code, "unit_id": unit} for code, unit in units]


def draft(
    office: Office, drafter: Person, title: str, main_to: list[dict[str, str]], **fields: Any
) -> dict[str, Any]:
    """拟稿 with a DOCX body; answers the document once its 拟稿 task is open."""
    body = {"title": title, "main_to": main_to, "urgency": "平件", "secrecy": "非密", **fields}
    doc = dict(ok(drafter.post("/outgoing", json=body), 201))
    ok(upload_body(drafter, doc["id"], "正文.docx", real_docx(title)), 201)
    open_task(drafter, doc["id"], "draft")
    return doc


def stage_of(person: Person, document_id: str, stage: str) -> dict[str, Any]:
    """The document once it stands at ``stage`` (documents learns it from routing's events)."""

    def found() -> dict[str, Any] | None:
        doc = ok(person.get(f"/outgoing/{document_id}"))
        return doc if doc["stage"] == stage else None

    return dict(eventually(found, what=f"stage {stage}"))


def to_issue(
    office: Office,
    drafter: Person,
    head: Person,
    doc: dict[str, Any],
    signer: Person,
    countersigners: list[Person] = (),  # type: ignore[assignment]
) -> None:
    """送核稿, 核稿 (naming the signer and the countersigning divisions), 会签 by each."""
    task = open_task(drafter, doc["id"], "draft")
    act(drafter, task["id"], action="submit")
    check = open_task(head, doc["id"], "check")
    act(
        head,
        check["id"],
        action="check",
        opinion="核稿通过。",
        leader_ids=[signer.id],
        countersign_unit_ids=[c.unit_id for c in countersigners],
    )
    for person in countersigners:
        task = open_task(person, doc["id"], "countersign")
        act(person, task["id"], action="countersign", opinion=f"{person.full_name}：同意。")
    stage_of(drafter, doc["id"], "issue")
