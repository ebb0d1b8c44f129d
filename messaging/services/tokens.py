"""API tokens (django-rest-knox): issued one per sign-in, stored as a SHA-512 digest,
expiring after SM_TOKEN_TTL, revoked by their veteran (DELETE token, "Signed-in devices")."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from knox.models import AuthToken


@transaction.atomic
def token_issue(*, user) -> tuple[str, datetime | None]:
    """A new token for a successful sign-in: (the token, shown this once; when it expires)."""
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


@transaction.atomic
def token_revoke(*, user, token_id: str) -> bool:
    """Revoke one of the user's tokens (by digest); False when it is not theirs or is gone."""
    deleted, _ = AuthToken.objects.filter(user=user, digest=token_id).delete()
    return bool(deleted)


@transaction.atomic
def tokens_revoke_all(*, user) -> int:
    """Revoke every token of the user; how many there were."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
