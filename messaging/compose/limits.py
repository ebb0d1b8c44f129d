"""Per-veteran rate limits on writes (django-ratelimit, counted in the shared cache).

One place for the rule: pages and API both ask `check`. The rates are settings
(SM_SEND_RATE, SM_DRAFT_RATE); a cache outage fails open (RATELIMIT_FAIL_OPEN)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import get_usage

SEND = "send"
DRAFT_SAVE = "draft-save"

MESSAGES = {
    SEND: "You’ve sent a lot of messages in a short time. Wait a minute, then try again. "
    "Your message is still here.",
    DRAFT_SAVE: "You’ve saved drafts a lot in a short time. Wait a minute, then try again. "
    "Your message is still here.",
}


@dataclass(frozen=True)
class Limited:
    action: str
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        return MESSAGES[self.action]


def _rate(action: str) -> str:
    return settings.SM_SEND_RATE if action == SEND else settings.SM_DRAFT_RATE


def _veteran(group, request) -> str:
    return str(request.user.pk)


def check(request, action: str) -> Limited | None:
    """Count one attempt at `action` by the signed-in veteran; a `Limited` once over the rate."""
    usage = get_usage(
        request, group=f"sm:{action}", key=_veteran, rate=_rate(action), increment=True
    )
    if usage is None or not usage["should_limit"]:
        return None
    return Limited(action, max(1, usage["time_left"]))
