"""Reads of API tokens (django-rest-knox): the veteran's signed-in devices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from knox.models import AuthToken


@dataclass(frozen=True)
class Device:
    """One signed-in device (an API token), as its veteran sees it. `id` is the token's
    digest (a one-way hash, safe to show); the token itself is never stored."""

    id: str
    signed_in: datetime
    expires: datetime | None


def devices_for(*, user) -> list[Device]:
    """The user's tokens that still work, newest first."""
    return [
        Device(id=t.digest, signed_in=t.created, expires=t.expiry)
        for t in AuthToken.objects.filter(user=user)
        .exclude(expiry__lte=timezone.now())
        .order_by("-created")
        .only("digest", "created", "expiry")
    ]
