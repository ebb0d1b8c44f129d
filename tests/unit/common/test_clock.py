"""The one clock: SM_TODAY fixes today for the deployment, else the app's local date."""

from datetime import date

from django.utils import timezone

from messaging.common import clock


def test_today_is_the_local_date_without_sm_today(settings):
    settings.SM_TODAY = ""
    assert clock.today() == timezone.localdate()


def test_sm_today_fixes_today_for_everyone(settings):
    settings.SM_TODAY = "2027-04-12"
    assert clock.today() == date(2027, 4, 12)
    assert clock.today(user=object()) == date(2027, 4, 12)


def test_now_is_on_the_users_today_at_any_hour_across_daylight_saving(settings, monkeypatch):
    """11:10 pm in New York in winter (04:10 UTC the next day), today fixed to a summer date:
    the moment is that summer date at 11:10 pm local, never the day after (an hour of DST)."""
    from datetime import UTC, datetime, time

    settings.TIME_ZONE = "America/New_York"
    winter_night = datetime(2026, 12, 1, 4, 10, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: winter_night)
    for today in ("2026-05-14", "2026-12-25", "2026-11-30", "2027-03-08"):
        settings.SM_TODAY = today
        moment = timezone.localtime(clock.now())
        assert moment.date() == date.fromisoformat(today)
        assert moment.time() == time(23, 10)
