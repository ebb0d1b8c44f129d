"""A rollback reaches a request handled by another server process at once (shared cache)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from messaging.rollout import stages as rollout
from messaging.rollout.flags import CURATED_LIST_FLOW

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def other_process():
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "false", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
            "--skip-checks",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/health/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("the second server did not start")
    yield base
    server.terminate()
    server.wait(timeout=10)


def _interstitial(base: str, session_key: str) -> str:
    request = urllib.request.Request(
        f"{base}/my-health/secure-messages/new-message/",
        headers={"Cookie": f"sessionid={session_key}"},
    )
    return urllib.request.urlopen(request, timeout=10).read().decode()


def test_rollback_reaches_another_process_on_its_next_request(demo_data, other_process):
    user = get_user_model().objects.get(username="vista.single")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()

    rollout.set_stage(CURATED_LIST_FLOW, "E", actor="test")
    assert 'class="sm-action-link"' in _interstitial(
        other_process, session.session_key
    )  # curated: a link
    assert 'class="sm-action-link"' in _interstitial(
        other_process, session.session_key
    )  # now cached there
    rollout.rollback(CURATED_LIST_FLOW, actor="test")
    page = _interstitial(other_process, session.session_key)
    assert 'class="sm-action-link"' not in page
    assert '<button type="submit" class="usa-button">Continue to start message</button>' in page
