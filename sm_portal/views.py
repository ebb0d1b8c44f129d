"""Project-level pages: sign-in, demo sign-in, sign-out, health check."""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.defaults import page_not_found

from messaging.selectors.accounts import demo_accounts

from .forms import SignInForm


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("messaging:inbox")
    return redirect("sign-in")


@login_not_required
@require_GET
def health(request):
    """Liveness and readiness: the database and the cache answer."""
    checks = {}
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError:
        checks["database"] = "unavailable"
    try:
        cache.set("health-check", "ok", 5)
        checks["cache"] = "ok" if cache.get("health-check") == "ok" else "degraded"
    except Exception:  # noqa: BLE001 - any cache failure is "degraded", never a crash
        checks["cache"] = "degraded"
    healthy = checks["database"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "auth/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


@login_not_required
@require_http_methods(["GET", "POST"])
def demo_sign_in(request):
    """QA only: sign in as any account of the loaded bundle with one click."""
    if not settings.DEMO_SIGN_IN:
        raise Http404("Demo sign-in is off.")
    accounts = demo_accounts()
    if request.method == "POST":
        username = request.POST.get("username", "")
        account = next((a for a in accounts if a.username == username), None)
        if account is None:
            return render(
                request,
                "auth/demo_sign_in.html",
                {"accounts": accounts, "error": "Select one of the demo accounts below."},
                status=400,
            )
        auth.login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
        if account.user.is_staff:
            return HttpResponseRedirect(reverse("ops-rollout"))
        return redirect("messaging:inbox")
    return render(request, "auth/demo_sign_in.html", {"accounts": accounts})


API_PREFIX = "/my_health/"


def not_found(request, exception=None):
    """404: JSON in the API's error shape under /my_health/, the normal page elsewhere."""
    if request.path.startswith(API_PREFIX):
        error = {
            "title": "Record not found",
            "detail": "Not found",
            "code": "RECORD_NOT_FOUND",
            "status": "404",
        }
        return JsonResponse({"errors": [error]}, status=404)
    return page_not_found(request, exception)


@require_POST
def sign_out(request):
    auth.logout(request)
    return redirect("sign-in")
