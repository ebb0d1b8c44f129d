"""Deny by default: every URL but a short public list sends an anonymous visitor to sign-in."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PUBLIC = {"sign-in/", "sign-in/demo/", "health/", "my_health/v1/messaging/token"}
API_PREFIX = "my_health/v1/"


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    """Fill path converters and regex groups with plausible values."""
    route = re.sub(r"<(?:int|sint):[^>]+>", "1", route)
    route = re.sub(r"<(?:str|slug|path:)?[^>]+>", "x", route)
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route)
    route = re.sub(r"[\^$?*+\\]", "", route)
    return "/" + route


ALL_ROUTES = sorted(set(_walk(get_resolver().url_patterns)))


def test_the_sweep_sees_the_flow_and_folders():
    assert "my-health/secure-messages/inbox/" in ALL_ROUTES
    assert "my-health/secure-messages/new-message/" in ALL_ROUTES
    assert len(ALL_ROUTES) > 10


@pytest.mark.parametrize("route", [r for r in ALL_ROUTES if r not in PUBLIC])
def test_non_public_url_requires_sign_in(client, route):
    url = _concrete(route)
    response = client.get(url)
    if route.startswith(API_PREFIX) and not route.endswith("docs/"):
        # The API answers for itself: 401 with a JSON error, never a redirect to a page.
        assert response.status_code == 401, (url, response.status_code)
        return
    if route.startswith("admin/") and response.status_code == 302:
        # Django's admin guards itself; its login page is our sign-in page.
        location = response["Location"]
        assert location.startswith(("/admin/login/", "/sign-in/")), (url, location)
        if location.startswith("/admin/login/"):
            location = client.get(location)["Location"]
        assert location.startswith("/sign-in/"), (url, location)
        return
    if route.startswith("admin/"):
        assert response.status_code == 404, (
            url,
            response.status_code,
        )  # e.g. a model that does not exist
        return
    assert response.status_code == 302, (url, response.status_code)
    assert response["Location"].startswith("/sign-in/?next="), (url, response["Location"])


@pytest.mark.parametrize("route", sorted(PUBLIC))
def test_public_urls_are_public(client, route):
    # The token endpoint takes only POST (405 to GET), without sign-in.
    assert client.get("/" + route).status_code in (200, 405, 503)


def test_static_files_are_public(client, settings):
    # WhiteNoise/staticfiles serve outside the view layer: no sign-in involved.
    from django.contrib.staticfiles import finders

    assert finders.find("sm.css"), "run `make assets` (npm run build) first"


def test_production_profile_refuses_demo_sign_in_and_flag_overrides():
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_PROFILE": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.org",
        "DEMO_SIGN_IN": "true",
        "WAFFLE_OVERRIDE": "true",
        "DEBUG": "true",
    }
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DEMO_SIGN_IN, s.WAFFLE_OVERRIDE, s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "sm_portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out) == [False, False, False, True, 31536000]


def test_check_deploy_is_clean_under_the_production_profile():
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_PROFILE": "production",
        "SECRET_KEY": "check-only-" + "k3y-" * 15,
        "ALLOWED_HOSTS": "example.org",
        "DJANGO_SETTINGS_MODULE": "sm_portal.settings",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the live-server tests, never deployed
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_content_security_policy_header(client, db):
    policy = client.get("/sign-in/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
