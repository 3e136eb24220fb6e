"""One text type for every string a client sends: no NUL characters, no lone surrogates.

PostgreSQL cannot store a NUL (``\\x00``) in a text column, and a lone surrogate
(``"\\ud800"``, which JSON lets a client send) is no UTF-8 at all: either one reaching
the database is a crash (500) after the request was accepted. :data:`Text` refuses
both while the request is validated, so the client gets 422 ``invalid_input``
naming the field and nothing is written.

Every ``str`` field of a request schema (``services/*/schemas.py``, the gateway's
own request models, query parameters and free-text path values) is ``Text``, or
``Annotated[str, StringConstraints(...), TEXT_CHECK]`` with its limits. Pure: pydantic only.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def check_text(value: str) -> str:
    """``value`` unchanged, or ``ValueError`` when it holds a NUL or a lone surrogate."""
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text may not contain lone surrogates (\\ud800-\\udfff)") from None
    return value


#: the check itself, to put AFTER a field's ``StringConstraints``:
#: ``Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), TEXT_CHECK]``
#: (a validator before the constraints makes pydantic check the length before it
#: strips: "   " would pass ``min_length=1``)
TEXT_CHECK = AfterValidator(check_text)

#: a string a client sent: any length, no NUL, no lone surrogate
Text = Annotated[str, TEXT_CHECK]
