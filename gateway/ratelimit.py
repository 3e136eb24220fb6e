"""Request rate limit per client address, counted in Redis.

A fixed one-minute window per address: ``INCR`` of
``<prefix>ratelimit:<address>:<minute>`` with an expiry. When Redis cannot be
reached the request is let through (fail open) and the outage is logged — at
most once per back-off period, during which Redis is not asked at all so that
an outage adds no latency.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.metrics import RATE_LIMIT_BACKEND_ERRORS

log = logging.getLogger("gateway.ratelimit")

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets (meaningful when refused)


class RateLimiter:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        limit_per_minute: int,
        backoff_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.limit = limit_per_minute
        self.backoff_seconds = backoff_seconds
        self._clock = clock
        self._skip_until = 0.0

    def key(self, address: str, window: int) -> str:
        return f"{self.prefix}ratelimit:{address}:{window}"

    async def hit(self, address: str) -> Decision:
        now = self._clock()
        if now < self._skip_until:
            return Decision(True, self.limit, self.limit, 0)
        window = int(now // WINDOW_SECONDS)
        key = self.key(address, window)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS + 5)
                count, _ = await pipe.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            RATE_LIMIT_BACKEND_ERRORS.inc()
            self._skip_until = now + self.backoff_seconds
            log.warning(
                "rate limit not enforced: Redis unreachable (%s: %s); letting requests through "
                "for %gs",
                type(exc).__name__,
                exc,
                self.backoff_seconds,
            )
            return Decision(True, self.limit, self.limit, 0)
        count = int(count)
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
        return Decision(count <= self.limit, self.limit, max(0, self.limit - count), retry_after)

    async def close(self) -> None:
        await self.redis.aclose()
