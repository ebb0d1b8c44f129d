"""Password guessing: what a locked-out sign-in gets, and what is recorded (django-axes counts).

django-axes refuses a password check while the account or the client address has had
AXES_FAILURE_LIMIT failures within AXES_COOLOFF_TIME (settings.py); this module answers those
refusals (HTTP 429 with one clear message: the sign-in page, or the API's error shape under
/my_health/), writes the audit entry and the log line when a lockout starts, and resets the
count of the account/address pair after a successful sign-in."""

from __future__ import annotations

import logging

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from messaging.rollout import audit

log = logging.getLogger("sm_portal.lockout")

API_PREFIX = "/my_health/"
LOCKED_OUT_CODE = "SM_SIGN_IN_LOCKED"


class PasswordGuessingBackend(AxesStandaloneBackend):
    """django-axes' check, first in AUTHENTICATION_BACKENDS: a locked-out account or address
    is refused before any password is compared. An in-process check without a request (the
    test client's login(), a management command) has no address: the account's lockout still
    holds, and there is no client to count failures against."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        return super().authenticate(request or HttpRequest(), username, password, **kwargs)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return f"Too many failed sign-in attempts. Try again in {minutes} minutes."


def retry_after_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest, original_response=None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to any sign-in refused for too many failures."""
    message = lockout_message()
    if request.path.startswith(API_PREFIX):
        error = {
            "title": "Too many requests",
            "detail": message,
            "code": LOCKED_OUT_CODE,
            "status": "429",
        }
        response = JsonResponse({"errors": [error]}, status=429)
    else:
        from .forms import SignInForm

        username = (credentials or {}).get("username") or request.POST.get("username", "")
        form = SignInForm(request, initial={"username": username[:150]})
        form.refuse(message)
        response = render(
            request,
            "auth/sign_in.html",
            {"form": form, "next": request.POST.get("next", "")},
            status=429,
        )
    response["Retry-After"] = str(retry_after_seconds())
    return response


@receiver(user_locked_out)
def _record_lockout(sender, request, username=None, ip_address=None, **kwargs):
    """A lockout starts (the failure that reached the limit): one audit entry and one log line.
    A refused attempt during a lockout is logged only. Never the password."""
    starting = getattr(request, "axes_failures_since_start", None) is not None
    route = getattr(getattr(request, "resolver_match", None), "route", None) or request.path
    if not starting:
        log.warning("Sign-in refused: locked out", extra={"route": route})
        return
    log.warning(
        "Sign-in locked out after %s failures",
        request.axes_failures_since_start,
        extra={"route": route},
    )
    audit.record(
        audit.Action.SIGN_IN_LOCKED_OUT,
        actor=(username or "(no username)")[:150],
        target_type="account",
        target_id=(username or "")[:100],
        detail={
            "address": ip_address or "",
            "failures": request.axes_failures_since_start,
            "route": route,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )


def reset_failures(request: HttpRequest, username: str) -> None:
    """After a successful sign-in: the failures of this account from this address are
    forgotten. Not those from other addresses, and not the address's failures on other
    accounts (a sign-in to one's own account must not buy more guesses at someone else's)."""
    AccessAttempt.objects.filter(
        username=username, ip_address=get_client_ip_address(request)
    ).delete()


@receiver(user_logged_in)
def _reset_after_sign_in(sender, request, user, **kwargs):
    if request is not None:
        reset_failures(request, user.get_username())
