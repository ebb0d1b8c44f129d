"""Nothing for testers in production (qa.md): SM_QA_TOOLS is on locally, and under the
production profile only with SM_ENVIRONMENT=staging; elsewhere every QA URL is a 404."""

import json
import os
import subprocess
import sys

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.helpers import QA_API as API
from tests.helpers import QA_LEAD, token_for

QA_URLS = [
    ("get", "/qa/"),
    ("get", "/qa/sign-in/abc:def:ghi/"),
    ("get", f"{API}/scenarios"),
    ("post", f"{API}/veterans"),
    ("post", f"{API}/veterans/vista.single/reset"),
    ("delete", f"{API}/veterans/vista.single"),
    ("put", f"{API}/veterans/vista.single/overrides"),
    ("post", f"{API}/veterans/vista.single/sign-in-link"),
]

# Runs in a fresh interpreter under the given environment: requests by the test client to
# every QA URL (anonymous, no database needed for a 404 or a 401).
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
urls = json.loads(__import__("sys").argv[1])
print(json.dumps({"on": settings.SM_QA_TOOLS,
                  "answers": [getattr(client, m)(u).status_code for m, u in urls]}))
"""


def _probe(urls=QA_URLS, **env_vars) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SM_")},
        "DJANGO_SETTINGS_MODULE": "sm_portal.settings",
        "DJANGO_PROFILE": "production",
        "SECRET_KEY": "wall-test-" + "k3y-" * 15,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_MANIFEST": "false",  # no collectstatic here: plain static names
        "DATABASE_URL": "sqlite:////nonexistent/never-opened.sqlite3",
        **env_vars,
    }
    env.pop("REDIS_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(urls)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "env",
    [
        {"SM_QA_TOOLS": "true"},
        {"SM_QA_TOOLS": "true", "SM_ENVIRONMENT": "production"},
        {"SM_ENVIRONMENT": "staging"},  # staging without SM_QA_TOOLS: off
        {},
    ],
)
def test_production_profile_answers_404_on_every_qa_url(env):
    result = _probe(**env)
    assert result["on"] is False
    assert result["answers"] == [404] * len(QA_URLS)


def test_staging_answers_401_to_an_anonymous_api_call():
    api_urls = [(m, u) for m, u in QA_URLS if u.startswith(API)]
    result = _probe(api_urls, SM_QA_TOOLS="true", SM_ENVIRONMENT="staging")
    assert result["on"] is True
    assert result["answers"] == [401] * len(api_urls)


@pytest.mark.django_db
def test_with_the_tools_off_even_qa_staff_get_404(settings, demo_data):
    token = token_for(*QA_LEAD)
    settings.SM_QA_TOOLS = False
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for method, url in QA_URLS:
        client = api if url.startswith(API) else Client()
        if not url.startswith(API):
            client.login(username=QA_LEAD[0], password=QA_LEAD[1])
        assert getattr(client, method)(url).status_code == 404, url


def _check_deploy(**env_vars) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SM_")},
        "DJANGO_PROFILE": "production",
        "SECRET_KEY": "check-only-" + "k3y-" * 15,
        "ALLOWED_HOSTS": "example.org",
        "DJANGO_SETTINGS_MODULE": "sm_portal.settings",
        **env_vars,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_check_deploy_warns_when_sm_qa_tools_is_set_in_production(environment):
    result = _check_deploy(SM_QA_TOOLS="true", SM_ENVIRONMENT=environment)
    assert result.returncode != 0
    assert "sm_portal.W001" in result.stderr + result.stdout
    assert "SM_QA_TOOLS is set under the production profile" in result.stderr + result.stdout


def test_check_deploy_is_quiet_without_sm_qa_tools():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
