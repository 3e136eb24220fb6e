"""Pure rules of the documents service: secrecy, who sees what, document states,
and how titles are cut into grams for search. No database, broker or store here."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable

from services.common.errors import Conflict, Forbidden, InvalidInput
from services.common.vocabulary import (
    LEADER_ROLES,
    SEES_ALL_DOCUMENTS_ROLES,
    DocumentStatus,
    Role,
)
from services.documents.schemas import CLASSIFIED, SECRECY_LABELS, Secrecy

#: who sees every 领导批示件 of the tenant (DESIGN 4.5) — and the registry (文书处) that
#: registered it: its registrars (a registrar of another unit is not in the scope)
SEES_RESTRICTED_ROLES = frozenset(LEADER_ROLES)

# -- roles --------------------------------------------------------------------------------------


def sees_all(roles: Iterable[str]) -> bool:
    return any(role in SEES_ALL_DOCUMENTS_ROLES for role in roles)


def sees_restricted(roles: Iterable[str]) -> bool:
    """The roles that see every 领导批示件 (its default scope, 知悉范围): provincial and
    office leaders (the registry sees those it registered; auditors none)."""
    return any(role in SEES_RESTRICTED_ROLES for role in roles)


def in_registry(
    roles: Iterable[str], org_unit_id: uuid.UUID | None, registry_unit_id: uuid.UUID | None
) -> bool:
    """A registrar of the registry (文书处) that registered the document."""
    return (
        Role.registrar in set(roles) and org_unit_id is not None and org_unit_id == registry_unit_id
    )


def may_see(
    roles: Iterable[str],
    user_id: uuid.UUID | None,
    org_unit_id: uuid.UUID | None,
    grants: Iterable[tuple[str, uuid.UUID]],
    acting_for: Iterable[uuid.UUID] = (),
    *,
    restricted: bool = False,
    holding_units: Iterable[uuid.UUID] = (),
    registry_unit_id: uuid.UUID | None = None,
) -> bool:
    """Whether a caller may open a document given its access grants ``(kind, id)``:
    the registry, auditors and leaders always; others if it was sent to their
    division or to them; a secretary also what was routed to a leader they enter
    instructions for (``acting_for``: the leaders whose delegation is valid now).

    A 领导批示件 (``restricted``) only within its scope: leaders and its registry, the
    people on its route (a person's grant: their tasks, circulations, additions to the
    scope; a division holding one of its pooled tasks now, ``holding_units``) — the
    division it was distributed to is not enough, nor being an auditor."""
    roles = list(roles)
    people = {("user", user_id)} | {("user", leader) for leader in acting_for}
    if restricted:
        if sees_restricted(roles) or in_registry(roles, org_unit_id, registry_unit_id):
            return True
        if org_unit_id is not None and org_unit_id in set(holding_units):
            return True
        return any(grant in people for grant in grants)
    if sees_all(roles):
        return True
    mine = people | {("unit", org_unit_id)}
    return any(grant in mine for grant in grants)


def require_registrar(roles: Iterable[str]) -> None:
    if Role.registrar not in set(roles):
        raise Forbidden("role_required", "needs the role: registrar")


# -- secrecy (DESIGN 4.7) --------------------------------------------------------------------------


def check_storable(secrecy: Secrecy) -> None:
    """Classified documents (秘密, 机密, 绝密) are never stored on the platform."""
    if secrecy in CLASSIFIED:
        raise InvalidInput(
            "classified_refused",
            f"{SECRECY_LABELS[secrecy]} documents may not be registered on the platform",
        )


# -- states ---------------------------------------------------------------------------------------


def ensure_changeable(status: str) -> None:
    """An archived document (and its files) cannot be changed any more."""
    if status == DocumentStatus.archived:
        raise Conflict("document_archived", "the document is archived and cannot be changed")


def status_after(current: str, event: str) -> str | None:
    """The status a document moves to on ``event`` (distributed | completed |
    archived), or None when it stays (never backwards, never out of archived)."""
    order = [
        DocumentStatus.registered,
        DocumentStatus.distributed,
        DocumentStatus.completed,
        DocumentStatus.archived,
    ]
    target = DocumentStatus(event)
    if order.index(DocumentStatus(current)) >= order.index(target):
        return None
    return target.value


# -- title search ---------------------------------------------------------------------------------


def normalise_text(value: str) -> str:
    """NFKC (full-width letters and digits become plain ones) and case-folded."""
    return unicodedata.normalize("NFKC", value).casefold()


def _tokens(value: str) -> list[str]:
    """Runs of letters and digits (Chinese characters included); the rest separates."""
    tokens: list[str] = []
    current: list[str] = []
    for ch in normalise_text(value):
        if ch.isalnum():
            current.append(ch)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def _bigrams(token: str) -> list[str]:
    return [token[i : i + 2] for i in range(len(token) - 1)]


def title_grams(title: str) -> list[str]:
    """Lexemes stored for a title: every character and every pair of adjacent ones."""
    grams: set[str] = set()
    for token in _tokens(title):
        grams.update(token)
        grams.update(_bigrams(token))
    return sorted(grams)


def query_terms(q: str) -> list[str]:
    """The words of a title query (each must occur in the title as written)."""
    return _tokens(q)


def query_grams(q: str) -> list[str]:
    """Lexemes a matching title must contain: a one-character word itself, else its pairs."""
    grams: set[str] = set()
    for token in _tokens(q):
        grams.update([token] if len(token) == 1 else _bigrams(token))
    return sorted(grams)


def tsquery_text(grams: Iterable[str]) -> str:
    """A tsquery that needs every gram (grams are letters and digits only)."""
    return " & ".join(f"'{gram}'" for gram in grams)


# -- leader instructions (领导批示) -------------------------------------------------------------


def number_key(number: str) -> str:
    """An instruction number as matched: NFKC, case-folded, without any spaces."""
    return "".join(normalise_text(number).split())


def format_serial(serial_format: str, serial: int, year: int) -> str:
    """A 厅领导's serial as shown, e.g. ``厅批〔{year}〕{n}号`` → 厅批〔2026〕12号."""
    return serial_format.replace("{year}", str(year)).replace("{n}", str(serial))


def attribution(entered_by_name: str | None, on_behalf: bool) -> str | None:
    """代领导批示: who entered it, as the slip says (秘书 孙秘书 代录)."""
    if not on_behalf:
        return None
    return f"秘书 {entered_by_name or '（未知）'} 代录"


def search_grams(*texts: str) -> list[str]:
    """Lexemes of an instruction's text and its document's title together."""
    grams: set[str] = set()
    for value in texts:
        grams.update(title_grams(value))
    return sorted(grams)
