"""API tokens (django-rest-knox): issued one per sign-in, stored as a digest, expiring after
SM_TOKEN_TTL, listed and revoked by their veteran ("Signed-in devices")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken


@dataclass(frozen=True)
class Device:
    """One signed-in device (an API token), as its veteran sees it. `id` is the token's
    digest (a one-way hash, safe to show); the token itself is never stored."""

    id: str
    signed_in: datetime
    expires: datetime | None


@transaction.atomic
def token_issue(*, user) -> tuple[str, datetime | None]:
    """A new token for a successful sign-in: (the token, shown once; when it expires)."""
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def devices_for(*, user) -> list[Device]:
    """The user's tokens that still work, newest first."""
    now = timezone.now()
    return [
        Device(id=t.digest, signed_in=t.created, expires=t.expiry)
        for t in AuthToken.objects.filter(user=user)
        .exclude(expiry__lte=now)
        .order_by("-created")
        .only("digest", "created", "expiry")
    ]


@transaction.atomic
def token_revoke(*, user, token_id: str) -> bool:
    """Revoke one of the user's tokens; False when it is not theirs (or already gone)."""
    deleted, _ = AuthToken.objects.filter(user=user, digest=token_id).delete()
    return bool(deleted)


@transaction.atomic
def tokens_revoke_all(*, user) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
