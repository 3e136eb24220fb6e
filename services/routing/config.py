"""Settings of the routing service only (environment variables, read once per process).

* ``ROUTING_SCAN_INTERVAL`` — seconds between two passes of the reminder and
  overdue scanner (default 30);
* ``ROUTING_REMINDER_HOUR`` — the hour (Asia/Shanghai) of the reminder on the
  last working day before a deadline (default 9);
* ``ROUTING_SCAN_BATCH`` — tasks claimed per transaction by the scanner (default 1000).

Whether the test clock is honoured follows the shared ``GONGWEN_ENV``
(:mod:`services.common.settings`).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROUTING_", env_file=None, extra="ignore", case_sensitive=False
    )

    scan_interval: float = Field(default=30.0, gt=0, description="seconds between scanner passes")
    reminder_hour: int = Field(default=9, ge=0, le=23, description="Shanghai hour of reminders")
    scan_batch: int = Field(default=1000, ge=1, le=10_000, description="tasks per transaction")


@lru_cache(maxsize=1)
def routing_settings() -> RoutingSettings:
    return RoutingSettings()
