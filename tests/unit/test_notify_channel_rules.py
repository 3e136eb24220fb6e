"""Channel choice as pure rules (DESIGN 5): in-app always; e-mail at once if wanted;
SMS at once for 特急 to-dos and urges (quiet hours or not), otherwise only if still
unread after the delay and never in quiet hours (22:00–07:00 Asia/Shanghai); a user's
preferences per kind, in-app never switched off."""

from __future__ import annotations

import datetime as dt

import pytest

from services.common.errors import InvalidInput
from services.notify.channel_rules import (
    Channel,
    Preferences,
    QuietHours,
    Recipient,
    Send,
    check_preference,
    parse_quiet_hours,
    plan,
    still_due,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BOTH = Recipient(email="li@example.gov.cn", mobile="13800000000")
HOUR = dt.timedelta(hours=1)


def at(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


def channels(sends: list[Send]) -> dict[Channel, Send]:
    return {s.channel: s for s in sends}


def test_an_extra_urgent_todo_is_texted_at_once_even_at_night():
    for moment in (at(10), at(23, 30), at(3)):
        out = channels(
            plan(
                "todo",
                "extra_urgent",
                created_at=moment,
                preferences=Preferences(),
                recipient=BOTH,
                unread_delay=HOUR,
            )
        )
        assert out[Channel.sms] == Send(Channel.sms, moment)
        assert out[Channel.in_app].not_before == moment and out[Channel.email].not_before == moment


def test_an_ordinary_todo_is_texted_only_if_unread_after_the_delay():
    out = channels(
        plan(
            "todo",
            "normal",
            created_at=at(10),
            preferences=Preferences(),
            recipient=BOTH,
            unread_delay=2 * HOUR,
        )
    )
    assert out[Channel.sms] == Send(Channel.sms, at(12), only_if_unread=True)
    assert not still_due(out[Channel.sms], read=True, now=at(12))
    assert still_due(out[Channel.sms], read=False, now=at(12))


def test_a_delayed_text_falling_in_quiet_hours_waits_for_the_morning():
    out = channels(
        plan(
            "overdue",
            "urgent",
            created_at=at(21, 30),
            preferences=Preferences(),
            recipient=BOTH,
            unread_delay=HOUR,
        )
    )
    assert out[Channel.sms].not_before == at(7, day=3)
    # an overdue notice is never texted at once, even 特急
    late = channels(
        plan(
            "overdue",
            "extra_urgent",
            created_at=at(23),
            preferences=Preferences(),
            recipient=BOTH,
            unread_delay=HOUR,
        )
    )
    assert late[Channel.sms].not_before == at(7, day=3) and late[Channel.sms].only_if_unread
    assert not still_due(late[Channel.sms], read=False, now=at(23, 30))


def test_quiet_hours_are_configurable_and_may_span_midnight_or_not():
    night = parse_quiet_hours("22:00-07:00")
    assert night.contains(at(22)) and night.contains(at(6, 59)) and not night.contains(at(7))
    lunch = parse_quiet_hours("12:00-13:30")
    assert lunch.contains(at(12, 15)) and not lunch.contains(at(13, 30))
    assert lunch.after(at(12, 15)) == at(13, 30)
    assert QuietHours(dt.time(0), dt.time(0)).contains(at(3)) is False  # none at all
    for bad in ("22-07", "22:00", "25:00-07:00"):
        with pytest.raises(InvalidInput) as err:
            parse_quiet_hours(bad)
        assert err.value.code == "bad_quiet_hours"


def test_preferences_switch_email_and_sms_per_kind_but_never_the_inbox():
    prefs = Preferences(
        {"reminder": check_preference(["in_app"]), "urge": check_preference(["in_app", "sms"])}
    )
    quiet = channels(
        plan(
            "reminder",
            "normal",
            created_at=at(10),
            preferences=prefs,
            recipient=BOTH,
            unread_delay=HOUR,
        )
    )
    assert set(quiet) == {Channel.in_app}
    urge = channels(
        plan(
            "urge",
            "extra_urgent",
            created_at=at(10),
            preferences=prefs,
            recipient=BOTH,
            unread_delay=HOUR,
        )
    )
    assert set(urge) == {Channel.in_app, Channel.sms}
    with pytest.raises(InvalidInput) as err:
        check_preference(["email", "sms"])
    assert err.value.code == "in_app_required"
    with pytest.raises(InvalidInput) as err:
        check_preference(["in_app", "fax"])
    assert err.value.code == "unknown_channel"


def test_no_address_no_message():
    out = channels(
        plan(
            "todo",
            "extra_urgent",
            created_at=at(10),
            preferences=Preferences(),
            recipient=Recipient(None, None),
            unread_delay=HOUR,
        )
    )
    assert set(out) == {Channel.in_app}


def test_a_failed_send_waits_longer_each_time_with_jitter_up_to_ten_minutes():
    from services.notify.outbound import retry_delay

    assert [retry_delay(n, rand=lambda: 0.0).total_seconds() for n in (1, 2, 3)] == [1, 2, 4]
    assert [retry_delay(n, rand=lambda: 1.0).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert retry_delay(30, rand=lambda: 1.0).total_seconds() == 600
    assert retry_delay(30, rand=lambda: 0.0).total_seconds() == 300
