"""One-time sign-in links for test veterans (qa.md): valid 10 minutes, used once, only
for a test veteran. The link carries a nonce signed with `django.core.signing` (which
also dates it); the `SignInLink` row makes it single-use."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from messaging.models import SignInLink, TestVeteran
from messaging.rollout import audit

from .selectors import test_veteran_get

LINK_MAX_AGE = timedelta(minutes=10)
LINK_SALT = "sm.qa.sign-in-link"


def sign_in_url(request, token: str) -> str:
    """Where a link points (absolute, for a suite or a private window)."""
    return request.build_absolute_uri(reverse("qa-sign-in", args=[token]))


def link_create(*, actor, user) -> str:
    """A one-time sign-in link token for this test veteran (inside the caller's transaction)."""
    nonce = secrets.token_urlsafe(24)
    SignInLink.objects.create(
        nonce=nonce, user=user, created_by=actor, expires_at=timezone.now() + LINK_MAX_AGE
    )
    audit.record(
        audit.Action.QA_LINK_CREATED, actor=actor, target_type="user", target_id=user.username
    )
    return signing.TimestampSigner(salt=LINK_SALT).sign(nonce)


@transaction.atomic
def sign_in_link_create(*, actor, username: str) -> str:
    """A new one-time sign-in link token for a test veteran (valid 10 minutes)."""
    return link_create(actor=actor, user=test_veteran_get(username=username))


class LinkRefused(Exception):
    pass


@transaction.atomic
def sign_in_link_use(*, token: str):
    """The test veteran a link signs in, once: a forged, expired or used link, or one whose
    account is gone or no longer a test veteran, is refused (LinkRefused)."""
    try:
        nonce = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=LINK_MAX_AGE.total_seconds()
        )
    except signing.SignatureExpired as exc:
        raise LinkRefused("This sign-in link has expired.") from exc
    except signing.BadSignature as exc:
        raise LinkRefused("This is not a valid sign-in link.") from exc
    now = timezone.now()
    # One UPDATE decides who uses the link: a second request (even a concurrent one) loses.
    used = SignInLink.objects.filter(nonce=nonce, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    link = SignInLink.objects.select_related("user").filter(nonce=nonce).first()
    if not used or link is None:
        raise LinkRefused("This sign-in link was already used or has expired.")
    user = link.user
    if not user.is_active or not TestVeteran.objects.filter(user=user).exists():
        raise LinkRefused("This sign-in link is not for a test veteran.")
    audit.record(audit.Action.QA_LINK_USED, actor=user, target_type="user", target_id=user.username)
    return user
