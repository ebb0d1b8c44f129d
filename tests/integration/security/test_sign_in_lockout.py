"""Password guessing (ASVS 2.2.1): at most 10 failures per account and per client address in
15 minutes on every password check (the sign-in page, the API token; the admin signs in
through the sign-in page), then 429 with one clear message until the window passes, the
right password included. Counted in the database: a cache outage neither opens nor
breaks the limit, and without the count no password is checked at all."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from messaging.models import AuditEvent

pytestmark = pytest.mark.django_db

TOKEN = "/my_health/v1/messaging/token"
MESSAGE = "Too many failed sign-in attempts. Try again in 15 minutes."
RIGHT = {"username": "vista.single", "password": "demo-password-1"}


def sign_in(client: Client, username: str, password: str):
    return client.post("/sign-in/", {"username": username, "password": password})


def token(client: Client, username: str, password: str):
    return client.post(
        TOKEN, {"username": username, "password": password}, content_type="application/json"
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"].endswith("/inbox/")


def _statuses(attempt, client, username, n=12):
    return [attempt(client, username, f"wrong-{i}").status_code for i in range(n)]


def test_sign_in_page_locks_the_account_at_the_tenth_failure(demo_data, from_address):
    attacker = from_address("203.0.113.7")
    statuses = _statuses(sign_in, attacker, "vista.single")
    assert statuses[:9] == [200] * 9  # the form again, with its error
    assert statuses[9:] == [429] * 3  # at the 11th at the latest (here the 10th)
    refused = sign_in(attacker, **RIGHT)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 15 * 60
    assert MESSAGE in refused.content.decode()
    assert "_auth_user_id" not in attacker.session
    # The account is locked from any address (10 per account), the right password included.
    assert sign_in(from_address("198.51.100.20"), **RIGHT).status_code == 429
    # Another account from another address is unaffected.
    assert signed_in(sign_in(from_address("198.51.100.21"), "vista.multi", "demo-password-2"))


def test_token_endpoint_locks_the_account_at_the_tenth_failure(demo_data, from_address):
    attacker = from_address("203.0.113.8")
    statuses = _statuses(token, attacker, "oh.only")
    assert statuses[:9] == [422] * 9 and statuses[9:] == [429] * 3
    refused = token(attacker, "oh.only", "demo-password-3")
    assert refused.status_code == 429
    assert refused.json()["errors"] == [
        {
            "title": "Too many requests",
            "detail": MESSAGE,
            "code": "SM_SIGN_IN_LOCKED",
            "status": "429",
        }
    ]
    assert int(refused["Retry-After"]) == 15 * 60
    # The same count as the sign-in page: the account is locked there too.
    assert sign_in(from_address("198.51.100.30"), "oh.only", "demo-password-3").status_code == 429
    other = token(from_address("198.51.100.31"), "hybrid", "demo-password-4")
    assert other.status_code == 200 and other.json()["token"]


def test_one_address_guessing_many_accounts_is_locked_out(demo_data, from_address):
    attacker = from_address("203.0.113.9")
    for n in range(10):
        sign_in(attacker, f"no.such.user.{n}", "guess")
    # The address is refused, even for an account it never tried and the right password.
    assert sign_in(attacker, **RIGHT).status_code == 429
    assert token(attacker, **RIGHT).status_code == 429
    # Those accounts and this one are fine from elsewhere.
    assert signed_in(sign_in(from_address("198.51.100.40"), **RIGHT))


def test_lockout_ends_when_the_window_passes(demo_data, from_address):
    attacker = from_address("203.0.113.10")
    _statuses(sign_in, attacker, "vista.single", n=10)
    assert sign_in(attacker, **RIGHT).status_code == 429
    # Attempts during the lockout are not counted: it ends 15 minutes after the last failure.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert signed_in(sign_in(attacker, **RIGHT))


def test_a_successful_sign_in_resets_the_count(demo_data, from_address):
    veteran = from_address("198.51.100.50")
    _statuses(sign_in, veteran, "vista.single", n=9)
    assert signed_in(sign_in(veteran, **RIGHT))
    veteran = from_address("198.51.100.50")
    assert _statuses(sign_in, veteran, "vista.single", n=9) == [200] * 9
    assert signed_in(sign_in(veteran, **RIGHT))


def test_signing_in_to_ones_own_account_buys_no_more_guesses_at_another(demo_data, from_address):
    attacker = from_address("203.0.113.11")
    _statuses(sign_in, attacker, "vista.single", n=9)
    assert signed_in(sign_in(attacker, "vista.multi", "demo-password-2"))
    assert sign_in(from_address("203.0.113.11"), "vista.single", "wrong").status_code == 429


def test_lockout_is_audited_and_logged_without_the_password(demo_data, from_address, caplog):
    attacker = from_address("203.0.113.12")
    with caplog.at_level(logging.INFO):
        for n in range(12):
            sign_in(attacker, "vista.single", f"secret-guess-{n}")
    entries = AuditEvent.objects.filter(action="sign_in.locked_out")
    assert entries.count() == 1  # when the lockout starts, not once per refused attempt
    entry = entries.get()
    assert (entry.actor, entry.target_type, entry.target_id) == (
        "vista.single",
        "account",
        "vista.single",
    )
    assert entry.detail["address"] == "203.0.113.12" and entry.detail["failures"] == 10
    assert entry.request_id
    lines = [r.getMessage() for r in caplog.records if r.name == "sm_portal.lockout"]
    assert lines[0] == "Sign-in locked out after 10 failures"
    assert lines[1:] == ["Sign-in refused: locked out"] * 2
    everything = caplog.text + str(list(AccessAttempt.objects.values()))
    assert "secret-guess" not in everything


def test_limits_hold_while_the_cache_is_down(demo_data, from_address, dead_cache):
    attacker = from_address("203.0.113.13")
    assert _statuses(sign_in, attacker, "vista.single", n=11)[9:] == [429, 429]
    assert sign_in(attacker, **RIGHT).status_code == 429
    assert token(attacker, **RIGHT).status_code == 429


def test_no_password_is_checked_when_the_count_cannot_be_read(demo_data, monkeypatch):
    """Fail closed: the attempt store unreachable -> 503 "try again", nobody signed in."""
    from axes.handlers.database import AxesDatabaseHandler

    def unreachable(*args, **kwargs):
        raise OperationalError("the database is unreachable")

    monkeypatch.setattr(AxesDatabaseHandler, "get_failures", unreachable)
    client = Client(raise_request_exception=False)
    page = client.post("/sign-in/", RIGHT)
    assert page.status_code == 503 and "_auth_user_id" not in client.session
    api = token(client, **RIGHT)
    assert api.status_code == 503 and "token" not in api.json()


def test_manage_py_clears_a_lockout(demo_data, from_address):
    attacker = from_address("203.0.113.14")
    _statuses(sign_in, attacker, "vista.single", n=10)
    assert sign_in(from_address("198.51.100.60"), **RIGHT).status_code == 429
    call_command("axes_reset_username", "vista.single")
    assert signed_in(sign_in(from_address("198.51.100.60"), **RIGHT))
    _statuses(sign_in, attacker, "no.such.user", n=10)
    assert sign_in(attacker, **RIGHT).status_code == 429
    call_command("axes_reset_ip", "203.0.113.14")
    assert signed_in(sign_in(attacker, **RIGHT))


def test_the_admin_has_no_password_check_of_its_own(demo_data, client):
    """The admin's login is the sign-in page (and its lockout)."""
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert client.post("/admin/login/", RIGHT).status_code in (302, 405)


def test_a_forwarded_for_header_does_not_change_the_address(demo_data, from_address):
    """Without a trusted proxy (SM_TRUSTED_PROXY_COUNT) the address is the connection's."""
    attacker = from_address("203.0.113.15")
    for n in range(10):
        attacker.post(
            "/sign-in/",
            {"username": f"someone.{n}", "password": "x"},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        )
    assert sign_in(attacker, **RIGHT).status_code == 429
