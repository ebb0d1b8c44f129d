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
