from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from messaging.views import medications, ops

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-in/demo/", views.demo_sign_in, name="demo-sign-in"),
    path("sign-out/", views.sign_out, name="sign-out"),
    # One sign-in page for everyone: the admin's own login form is not offered.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="sign-in", query_string=True)),
    ),
    path("admin/", admin.site.urls),
    path("ops/rollout/", ops.rollout_dashboard, name="ops-rollout"),
    path("ops/rollout/stage-report/", ops.stage_report, name="ops-stage-report"),
    path("my-health/secure-messages/", include("messaging.urls")),
    path("my-health/medications/", medications.medications, name="medications"),
    path("my_health/v1/messaging/", include("messaging.api.urls")),
]

handler404 = "sm_portal.views.not_found"
handler500 = "sm_portal.errors.server_error"
