"""notify's outbound channels (外发渠道): e-mail (电子邮件, SMTP) and SMS (短信, a provider's
HTTP API). Pure transport: each adapter sends one message and says how it went; it
keeps no state and touches no database. Which notification goes to which channel,
the delivery records, retries and rate limits are notify's business, not theirs.

- :mod:`services.notify.channels.email` — ``EmailChannel.from_settings(settings)
  .send(to, subject, text) -> message id``;
- :mod:`services.notify.channels.sms` — ``provider_from_settings(settings)
  .send(phone, text, message_key) -> ProviderResult`` (Aliyun SMS or a generic HTTP
  gateway).

A send that fails raises :class:`ChannelError`: ``permanent`` when sending the same
message again cannot succeed (an invalid number, a refused recipient, a template the
provider rejects), transient otherwise (a timeout, a provider's 5xx, throttling, the
server unreachable, a configuration an operator can fix and then replay).
"""

from __future__ import annotations

from dataclasses import dataclass


class ChannelError(Exception):
    """A message a channel could not hand over.

    ``permanent``: retrying this message cannot help (mark it failed with ``reason``);
    otherwise retry later with backoff. ``code`` is the provider's own code when it
    gave one (``isv.MOBILE_NUMBER_ILLEGAL``, ``http 503``, ``smtp 550``, ``timeout``),
    for logs and metrics; ``reason`` is for people (a delivery status shown to ops).
    """

    def __init__(self, permanent: bool, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.reason = reason
        self.code = code

    def __repr__(self) -> str:
        kind = "permanent" if self.permanent else "transient"
        return f"ChannelError({kind}, {self.reason!r}, code={self.code!r})"


@dataclass(frozen=True)
class ProviderResult:
    """A message the provider accepted; ``message_id`` is its id for the message
    (Aliyun's ``BizId``), when it gave one."""

    message_id: str | None


__all__ = ["ChannelError", "ProviderResult"]
