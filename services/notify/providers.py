"""The nameko dependency that gives notify's workers their channels: the policy of
which channel when (settings), the senders (SMTP, the SMS provider) and the providers'
rate limit (a token bucket in Redis shared by every notify instance)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import redis
from nameko.extensions import DependencyProvider

from services.common.settings import get_settings
from services.notify.channel_rules import parse_quiet_hours
from services.notify.channels.email import EmailChannel
from services.notify.channels.sms import provider_from_settings
from services.notify.models import OutboundMessage
from services.notify.outbound import Channels, Policy, TokenBucket
from services.notify.schemas import stream_channel

log = logging.getLogger(__name__)


class ChannelsProvider(DependencyProvider):
    def __init__(self) -> None:
        self.channels: Channels | None = None
        self.redis: Any = None

    def setup(self) -> None:
        settings = get_settings()
        email = EmailChannel.from_settings(settings)
        sms = provider_from_settings(settings)
        self.redis = redis.Redis.from_url(
            settings.redis_url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2
        )
        bucket = TokenBucket(
            self.redis,
            settings.redis_key_prefix,
            {"email": settings.email_rate_per_second, "sms": settings.sms_rate_per_second},
        )

        def send(row: OutboundMessage) -> str | None:
            if row.channel == "email":
                return email.send(row.address, row.subject, row.text, key=str(row.id))
            return sms.send(row.address, row.text, str(row.id)).message_id

        def poke(people: Sequence[uuid.UUID]) -> None:
            """Tell the users' live streams something changed (best effort: the streams
            also look every few seconds)."""
            try:
                for person in dict.fromkeys(people):
                    self.redis.publish(stream_channel(settings.redis_key_prefix, person), "1")
            except redis.RedisError as exc:
                log.warning("could not tell the live streams: %r", exc)

        self.channels = Channels(
            policy=Policy(
                unread_delay=dt.timedelta(minutes=settings.notify_sms_unread_minutes),
                quiet=parse_quiet_hours(settings.notify_quiet_hours),
            ),
            sender=send,
            take_token=bucket.take,
            poke=poke,
        )

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Channels:
        assert self.channels is not None, "ChannelsProvider used before setup"
        return self.channels
