"""The per-address rate limit: counting in Redis, and failing open without it."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from gateway.ratelimit import RateLimiter


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def backend_errors() -> float:
    return REGISTRY.get_sample_value("gateway_rate_limit_backend_errors_total") or 0.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_the_limit_counts_per_address_and_minute():
    prefix = f"gwtest-{uuid.uuid4().hex[:8]}:"
    clock = Clock(60 * (int(time.time()) // 60) + 10.0)  # 10 s into a minute

    async def scenario() -> None:
        redis = Redis.from_url("redis://127.0.0.1:6379/0")
        limiter = RateLimiter(redis, prefix=prefix, limit_per_minute=3, clock=clock)
        try:
            decisions = [await limiter.hit("10.0.0.1") for _ in range(4)]
            assert [d.allowed for d in decisions] == [True, True, True, False]
            assert decisions[-1].remaining == 0 and decisions[-1].retry_after == 50
            assert (await limiter.hit("10.0.0.2")).allowed  # another address
            clock.now += 60  # the next minute starts afresh
            assert (await limiter.hit("10.0.0.1")).allowed
            ttl = await redis.ttl(limiter.key("10.0.0.1", int(clock.now // 60)))
            assert 0 < ttl <= 65
        finally:
            keys = [k async for k in redis.scan_iter(f"{prefix}*")]
            if keys:
                await redis.delete(*keys)
            await limiter.close()

    asyncio.run(scenario())


def test_without_redis_requests_pass_quickly_and_redis_is_not_asked_for_a_while():
    clock = Clock(1000.0)

    async def scenario() -> None:
        redis = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_connect_timeout=0.25)
        limiter = RateLimiter(
            redis, prefix="x:", limit_per_minute=1, backoff_seconds=5, clock=clock
        )
        errors_before = backend_errors()
        started = time.perf_counter()
        decisions = [await limiter.hit("10.0.0.1") for _ in range(10)]
        assert all(d.allowed for d in decisions)
        assert time.perf_counter() - started < 1.0
        assert backend_errors() == errors_before + 1  # one failed attempt, then back-off
        clock.now += 6
        assert (await limiter.hit("10.0.0.1")).allowed
        assert backend_errors() == errors_before + 2
        await limiter.close()

    asyncio.run(scenario())
