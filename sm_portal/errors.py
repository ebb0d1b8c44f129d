"""Server errors without a stack trace: the database being unreachable is a 503 "try again"
(an HTML page, or the API's error shape under /my_health/), anything else a 500.

Django calls `server_error` for any exception a view or middleware lets through (DEBUG off,
which the production profile forces). The page is rendered without the request: no session,
no user, no database, so it renders even when the database is what failed."""

from __future__ import annotations

import sys

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

from messaging.common.errors import API_PREFIX, error_json

RETRY_AFTER_SECONDS = 10
DATABASE_DOWN = (OperationalError, InterfaceError)


def database_unavailable(exc: BaseException | None) -> bool:
    """True when the exception, or one it was raised from, says the database can't be reached."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_DOWN):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request):
    unavailable = database_unavailable(sys.exc_info()[1])
    status = 503 if unavailable else 500
    if request.path.startswith(API_PREFIX):
        if unavailable:
            response = error_json(
                503,
                "Service unavailable",
                "We can’t reach our records right now. Try again in a few minutes.",
                "SERVICE_UNAVAILABLE",
            )
        else:
            response = error_json(
                500,
                "Internal server error",
                "We’re sorry. Something went wrong on our end. Try again later.",
                "SERVER_ERROR",
            )
    else:
        template = "503.html" if unavailable else "500.html"
        html = loader.get_template(template).render({"user": AnonymousUser()})
        response = HttpResponse(html, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
