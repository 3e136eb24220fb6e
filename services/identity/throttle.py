"""Throttling of failed logins, per account and per client address (Redis counters).

Each failure increments two counters that expire ``login_fail_window`` seconds
after the first failure of the window. While either counter has reached its
limit, login attempts are refused before the password is even looked at. A
successful login clears the account's counter (not the address's: one valid
account must not let an address go on guessing others).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.common.settings import Settings


@dataclass(frozen=True)
class ThrottleState:
    account_failures: int
    address_failures: int
    blocked_by: str | None  # "account", "address" or None


class LoginThrottle:
    def __init__(self, redis: Any, settings: Settings) -> None:
        self.redis = redis
        self.prefix = f"{settings.redis_key_prefix}identity:login_fail:"
        self.window = settings.login_fail_window
        self.max_account = settings.login_max_failures_account
        self.max_address = settings.login_max_failures_address

    def account_key(self, tenant_code: str | None, username: str) -> str:
        return f"{self.prefix}account:{tenant_code or '-'}:{username.lower()}"

    def address_key(self, client_ip: str | None) -> str | None:
        return f"{self.prefix}address:{client_ip}" if client_ip else None

    def state(self, tenant_code: str | None, username: str, client_ip: str | None) -> ThrottleState:
        keys = [self.account_key(tenant_code, username)]
        address_key = self.address_key(client_ip)
        if address_key:
            keys.append(address_key)
        values = self.redis.mget(keys)
        account = int(values[0] or 0)
        address = int(values[1] or 0) if address_key else 0
        blocked_by = None
        if account >= self.max_account:
            blocked_by = "account"
        elif address >= self.max_address:
            blocked_by = "address"
        return ThrottleState(account, address, blocked_by)

    def record_failure(self, tenant_code: str | None, username: str, client_ip: str | None) -> None:
        keys = [self.account_key(tenant_code, username)]
        address_key = self.address_key(client_ip)
        if address_key:
            keys.append(address_key)
        pipe = self.redis.pipeline(transaction=True)
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, self.window, nx=True)
        pipe.execute()

    def clear_account(self, tenant_code: str | None, username: str) -> None:
        self.redis.delete(self.account_key(tenant_code, username))
