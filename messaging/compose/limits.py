"""Per-veteran rate limits on writes (django-ratelimit, counted in the shared cache).

One place for the rule: pages and API both ask `check`. The rates are settings
(SM_SEND_RATE, SM_DRAFT_RATE); a cache outage fails open (RATELIMIT_FAIL_OPEN).

A retry is never counted: a request that names its content (`retry_of`, e.g. the send's
Idempotency-Key with its recipient, subject and body) is counted the first time only; a
retry of it, even one racing the first, passes without being counted (the send itself
stores it once). One that was refused is counted again when retried."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
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


# How long a counted request is remembered, so that its retries are not counted again.
RETRY_MEMORY_SECONDS = 24 * 60 * 60


def fingerprint(*parts) -> str:
    """A request's identity for `retry_of`: a digest of its key and content."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def check(request, action: str, *, retry_of: str = "") -> Limited | None:
    """Count one attempt at `action` by the signed-in veteran; a `Limited` once over the rate.
    `retry_of` (a `fingerprint`): counted only the first time it is seen."""
    seen = ""
    if retry_of:
        seen = f"sm:{action}:counted:{request.user.pk}:{retry_of}"
        if not cache.add(seen, 1, timeout=RETRY_MEMORY_SECONDS):
            return None  # a retry of a request already counted (or the cache is down: open)
    usage = get_usage(
        request, group=f"sm:{action}", key=_veteran, rate=_rate(action), increment=True
    )
    if usage is None or not usage["should_limit"]:
        return None
    if seen:
        cache.delete(seen)  # refused: its retry is a new attempt, counted and limited again
    return Limited(action, max(1, usage["time_left"]))
