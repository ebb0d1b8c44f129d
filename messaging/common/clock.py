"""The one clock every date rule reads (qa.md, transition.md "The clock").

"Today" is the deployment's date (`SM_TODAY`, an ISO date, fixes it for a whole staging
rehearsal; empty: the real date in the app's time zone), shifted for one test veteran by
their `todayOffsetDays` override (QA tools). The recent-care-teams window reads it, and so
do facility phases and prescription dates: never `date.today()` or `timezone.now()` in a
date rule.

The per-veteran offset comes from a source the QA tools register when the app starts
(`use_offset_source`), so this module depends on nothing of the product.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

_offset_source: Callable[[object], int | None] | None = None


def use_offset_source(source: Callable[[object], int | None] | None) -> None:
    """Register how a user's day offset is found (the QA tools do, at start-up)."""
    global _offset_source
    _offset_source = source


def offset_days(user=None) -> int:
    """The user's own shift in days (0 for everyone but a test veteran with an override)."""
    if user is None or _offset_source is None or not getattr(user, "is_authenticated", False):
        return 0
    return _offset_source(user) or 0


def deployment_today() -> date:
    """The deployment's date: `SM_TODAY` when set, else today in the app's time zone."""
    if settings.SM_TODAY:
        return date.fromisoformat(settings.SM_TODAY)
    return timezone.localdate()


def today(*, user=None) -> date:
    """Today for this user (in the app's time zone)."""
    return deployment_today() + timedelta(days=offset_days(user))


def now(*, user=None) -> datetime:
    """The current moment for this user: the real time of day on the user's today (aware).
    The wall-clock time is kept in the app's time zone, so a shift across a daylight-saving
    change never moves the moment into the day before or after."""
    local = timezone.localtime(timezone.now())
    if local.date() == today(user=user):
        return local
    wall = datetime.combine(today(user=user), local.time())
    return timezone.make_aware(wall, timezone.get_current_timezone())
