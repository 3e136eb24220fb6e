"""nameko DependencyProvider of the identity service: Redis, the signing keys and
the start-up work (platform administrator, first signing key)."""

from __future__ import annotations

from typing import Any

import redis
from nameko.extensions import DependencyProvider

from services.common.db import make_engine, make_green, make_sessionmaker
from services.common.settings import get_settings
from services.identity.auth import Runtime
from services.identity.bootstrap import ensure_platform_admin
from services.identity.throttle import LoginThrottle
from services.identity.tokens import KeyRing, RefreshFamilies


class IdentityRuntime(DependencyProvider):
    """One per container. Its start-up work runs in ``setup()``, which nameko finishes
    for every extension before any entrypoint starts taking calls."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.redis: Any = None

    def setup(self) -> None:
        make_green()
        settings = get_settings()
        self.redis = redis.Redis.from_url(
            settings.redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2
        )
        keys = KeyRing()
        engine = make_engine(settings.app_database_url("identity"), pool_size=1)
        try:
            factory = make_sessionmaker(engine)
            ensure_platform_admin(factory, settings)
            keys.load_or_create(factory)
        finally:
            engine.dispose()
        self.runtime = Runtime(
            settings=settings,
            keys=keys,
            throttle=LoginThrottle(self.redis, settings),
            families=RefreshFamilies(self.redis, settings),
        )

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Runtime:
        assert self.runtime is not None, "IdentityRuntime used before setup"
        return self.runtime
