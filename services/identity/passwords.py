"""Password hashing with argon2id.

Hashing is CPU work of tens of milliseconds; under eventlet it runs in the
thread pool (``eventlet.tpool``) so it does not stall the other greenthreads of
the service process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's recommended argon2id parameters: 19 MiB, 2 passes, 1 lane.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

T = TypeVar("T")


def _offload(fn: Callable[..., T], *args: Any) -> T:
    from eventlet import patcher

    if patcher.is_monkey_patched("thread"):
        from eventlet import tpool

        result: T = tpool.execute(fn, *args)
        return result
    return fn(*args)


def hash_password(password: str) -> str:
    return _offload(_HASHER.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    return _offload(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# Verified against when the user does not exist, so that an unknown username
# costs the same time as a wrong password.
DUMMY_HASH = _HASHER.hash("gongwen-no-such-user")
