"""Which channels a notification goes out by, and when (DESIGN 5, channel choice).

Pure rules (standard library only): the in-app inbox always, at once; e-mail at once
when the user wants it for that kind; SMS —

* 特急 to-dos and urges: at once, quiet hours or not;
* every other kind (and the less urgent to-dos and urges): only if the notification is
  still unread after ``unread_delay`` (checked when it falls due), never in quiet hours
  (default 22:00–07:00 Asia/Shanghai): a text that would fall in them waits until they end;
* never when the user switched SMS off for the kind, or has no mobile number.

A user's preferences say, per kind, which of e-mail and SMS they want; the in-app
inbox cannot be switched off (``in_app_required``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from services.common.errors import InvalidInput
from services.common.vocabulary import SHANGHAI, Urgency


class Channel(StrEnum):
    in_app = "in_app"  # 站内通知
    email = "email"  # 电子邮件
    sms = "sms"  # 短信


#: what a user gets when they set nothing: every channel for every kind
DEFAULT_CHANNELS = frozenset({Channel.in_app, Channel.email, Channel.sms})
#: kinds whose 特急 notifications are texted at once
AT_ONCE_KINDS = frozenset({"todo", "urge"})


@dataclass(frozen=True)
class QuietHours:
    """No SMS between ``start`` and ``end`` (Asia/Shanghai), except 特急; may span midnight."""

    start: dt.time = dt.time(22, 0)
    end: dt.time = dt.time(7, 0)

    def contains(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(SHANGHAI).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def after(self, moment: dt.datetime) -> dt.datetime:
        """``moment``, or the end of the quiet hours it falls in (as a UTC instant)."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(SHANGHAI)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += dt.timedelta(days=1)
        return end.astimezone(dt.UTC)


QUIET_PATTERN = re.compile(r"\d{2}:\d{2}\s*-\s*\d{2}:\d{2}")


def parse_quiet_hours(text: str) -> QuietHours:
    """``22:00-07:00`` → QuietHours (``InvalidInput("bad_quiet_hours")`` otherwise)."""
    if not QUIET_PATTERN.fullmatch(text.strip()):
        raise InvalidInput("bad_quiet_hours", "quiet hours are written HH:MM-HH:MM")
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise InvalidInput("bad_quiet_hours", "quiet hours are written HH:MM-HH:MM") from None
    return QuietHours(start, end)


@dataclass(frozen=True)
class Preferences:
    """A user's channels per kind; a kind not listed gets :data:`DEFAULT_CHANNELS`."""

    by_kind: Mapping[str, frozenset[Channel]] = field(default_factory=dict)

    def wants(self, kind: str) -> frozenset[Channel]:
        return self.by_kind.get(kind, DEFAULT_CHANNELS) | {Channel.in_app}


def check_preference(channels: Iterable[str]) -> frozenset[Channel]:
    """A user's choice for one kind: known channels, the in-app inbox among them."""
    chosen: set[Channel] = set()
    for name in channels:
        try:
            chosen.add(Channel(name))
        except ValueError:
            raise InvalidInput("unknown_channel", f"no channel {name!r}") from None
    if Channel.in_app not in chosen:
        raise InvalidInput("in_app_required", "the in-app inbox cannot be switched off")
    return frozenset(chosen)


@dataclass(frozen=True)
class Recipient:
    email: str | None
    mobile: str | None


@dataclass(frozen=True)
class Send:
    """One channel's message: due at ``not_before``; ``only_if_unread``: dropped when the
    user has read the notification by then."""

    channel: Channel
    not_before: dt.datetime
    only_if_unread: bool = False


def plan(
    kind: str,
    urgency: str | None,
    *,
    created_at: dt.datetime,
    preferences: Preferences,
    recipient: Recipient,
    unread_delay: dt.timedelta,
    quiet: QuietHours | None = None,
) -> list[Send]:
    """The messages one notification becomes, in-app first."""
    quiet = quiet or QuietHours()
    wanted = preferences.wants(kind)
    out = [Send(Channel.in_app, created_at)]
    if Channel.email in wanted and recipient.email:
        out.append(Send(Channel.email, created_at))
    if Channel.sms in wanted and recipient.mobile:
        if urgency == Urgency.extra_urgent and kind in AT_ONCE_KINDS:
            out.append(Send(Channel.sms, created_at))
        else:
            due = quiet.after(created_at + unread_delay)
            out.append(Send(Channel.sms, due, only_if_unread=True))
    return out


def still_due(send: Send, *, read: bool, now: dt.datetime, quiet: QuietHours | None = None) -> bool:
    """At send time: a text waiting for the user to read it is dropped once read; one
    that falls in quiet hours (a delayed one) waits — the caller reschedules it at
    ``quiet.after(now)``."""
    if send.only_if_unread and read:
        return False
    if send.channel is Channel.sms and send.only_if_unread:
        return not (quiet or QuietHours()).contains(now)
    return True
