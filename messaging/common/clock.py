"""The one clock: every rule that depends on "today" (facility transition phases, the
recent-care-teams window) asks it (transition.md, "The clock").

`SM_TODAY` (an ISO date) fixes today for a whole deployment, e.g. a staging rehearsal of a
cutover; otherwise today is the date in the app's time zone. (The QA tools shift it per test
veteran; this minimal version ignores `user`.)
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils import timezone


def today(*, user=None) -> date:
    """Today, for `user` when given (QA tools may shift one test veteran's clock)."""
    fixed = getattr(settings, "SM_TODAY", "") or ""
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return timezone.localdate()
