"""Project-level pages: sign-in, demo sign-in, sign-out, health check."""

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.defaults import page_not_found

from messaging.common.errors import API_PREFIX, error_json
from messaging.compose.scanning import ScannerUnavailable, scanner_from_settings
from messaging.qa.access import is_qa_staff
from messaging.selectors.accounts import demo_accounts
from messaging.selectors.tokens import devices_for
from messaging.services.tokens import token_revoke, tokens_revoke_all

from .forms import SignInForm


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("messaging:inbox")
    return redirect("sign-in")


@login_not_required
@require_GET
def health(request):
    """Liveness and readiness: the database answers (else 503); the cache and the attachment
    scanner are reported ("degraded" when they don't answer, still 200)."""
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
    checks["scanner"] = _scanner_check()
    # A missing scanner or cache degrades the site (attachments are refused with "try again";
    # the cache is slower), it does not take it down: only the database does.
    healthy = checks["database"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


HEALTH_SCANNER_TIMEOUT = 2.0  # seconds: a health check answers quickly or says "degraded"


def _scanner_check() -> str:
    """The attachment scanner answers PING: "ok", else "degraded" (sends with attachments
    are refused until it is back; everything else works)."""
    try:
        scanner = scanner_from_settings()
    except ScannerUnavailable:
        return "degraded"
    scanner.timeout = min(scanner.timeout, HEALTH_SCANNER_TIMEOUT)
    return "ok" if scanner.ping() else "degraded"


@method_decorator(login_not_required, name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "auth/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Without a `next`: QA staff to the QA page (where it exists), other staff to the
        rollout dashboard, not to a veteran's inbox they have no use for."""
        user = self.request.user
        if settings.SM_QA_TOOLS and is_qa_staff(user):
            return reverse("qa")
        if user.is_staff:
            return reverse("ops-rollout")
        return super().get_default_redirect_url()


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


def not_found(request, exception=None):
    """404: JSON in the API's error shape under /my_health/, the normal page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return error_json(404, "Record not found", "Not found", "RECORD_NOT_FOUND")
    return page_not_found(request, exception)


@login_not_required
@require_GET
def admin_login(request):
    """Where the admin sends whoever it refuses: the sign-in page for the signed out, a 403
    page for an account without admin access (a veteran), instead of a redirect loop."""
    if request.user.is_authenticated:
        raise PermissionDenied
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse("sign-in") + (f"?{query}" if query else ""))


@require_POST
def sign_out(request):
    auth.logout(request)
    return redirect("sign-in")


@require_http_methods(["GET", "POST"])
def devices(request):
    """Signed-in devices: the veteran's API tokens (the VA app, other clients), each with a
    way to sign it out; "Sign out of all devices" revokes every one."""
    if request.method == "POST":
        if request.POST.get("action") == "revoke-all":
            count = tokens_revoke_all(user=request.user)
            messages.success(
                request, f"You signed out of {count} device{'' if count == 1 else 's'}."
            )
        elif token_revoke(user=request.user, token_id=request.POST.get("device", "")):
            messages.success(request, "You signed out of that device.")
        else:
            raise Http404("No such device")
        return redirect("devices")
    return render(request, "auth/devices.html", {"devices": devices_for(user=request.user)})
