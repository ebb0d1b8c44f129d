"""API tokens (django-rest-knox): a new token per sign-in, stored as a digest only, expiring
after SM_TOKEN_TTL (12 hours by default), revoked at once by DELETE token or from the
veteran's "Signed-in devices" page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from sm_portal.settings import _duration

pytestmark = pytest.mark.django_db

API = "/my_health/v1/messaging"


def sign_in(username="oh.only", password="demo-password-3") -> dict:
    response = Client().post(
        f"{API}/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def get(token: str, path: str = "folders"):
    return Client().get(f"{API}/{path}", headers={"Authorization": f"Token {token}"})


def test_two_sign_ins_give_two_different_tokens_both_working(demo_data):
    first, second = sign_in()["token"], sign_in()["token"]
    assert first != second
    assert get(first).status_code == 200 and get(second).status_code == 200


def test_tokens_are_stored_as_a_digest_only(demo_data, user_named):
    token = sign_in()["token"]
    row = AuthToken.objects.get(user=user_named("oh.only"))
    values = [str(v) for v in AuthToken.objects.values_list(flat=False).get()]
    assert token not in values and row.digest != token and len(row.digest) == 128


def test_delete_revokes_the_token_at_once(demo_data):
    kept, revoked = sign_in()["token"], sign_in()["token"]
    response = Client().delete(f"{API}/token", headers={"Authorization": f"Token {revoked}"})
    assert response.status_code == 204
    refused = get(revoked)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["status"] == "401"
    assert get(kept).status_code == 200  # only that one
    again = Client().delete(f"{API}/token", headers={"Authorization": f"Token {revoked}"})
    assert again.status_code == 401


def test_delete_without_a_token_is_401(demo_data, veteran_client):
    assert Client().delete(f"{API}/token").status_code == 401
    # A browser session has no token to revoke (it signs out with "Sign out").
    assert veteran_client("oh.only").delete(f"{API}/token").status_code == 401


def test_tokens_expire_after_the_ttl(demo_data, settings):
    issued = sign_in()
    expiry = timezone.datetime.fromisoformat(issued["expiry"].replace("Z", "+00:00"))
    assert abs(expiry - (timezone.now() + timedelta(hours=12))) < timedelta(minutes=1)
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    assert get(issued["token"]).status_code == 401
    assert not AuthToken.objects.exists()  # an expired token is deleted when presented


def test_the_ttl_is_a_setting():
    assert _duration("12h") == timedelta(hours=12)
    assert _duration("30m") == timedelta(minutes=30)
    assert _duration("900") == timedelta(seconds=900)
    for bad in ("", "0", "-5m", "twelve"):
        with pytest.raises(Exception, match="duration"):
            _duration(bad)


def test_a_token_does_not_outlive_the_account(demo_data, user_named):
    token = sign_in()["token"]
    veteran = user_named("oh.only")
    veteran.is_active = False
    veteran.save()
    assert get(token).status_code == 401


def test_signed_in_devices_lists_and_revokes_only_the_veterans_own(demo_data, veteran_client):
    mine = [sign_in()["token"] for _ in range(2)]
    theirs = sign_in("hybrid", "demo-password-4")["token"]
    page = veteran_client("oh.only")
    listed = page.get("/account/devices/")
    assert listed.status_code == 200
    html = listed.content.decode()
    assert html.count('name="device"') == 2
    for token in mine + [theirs]:
        assert token not in html and token[:15] not in html  # never the token itself
    digests = list(
        AuthToken.objects.filter(user__username="oh.only").values_list("digest", flat=True)
    )
    their_digest = AuthToken.objects.get(user__username="hybrid").digest
    # Another veteran's device: 404, nothing revoked.
    assert page.post("/account/devices/", {"device": their_digest}).status_code == 404
    assert get(theirs).status_code == 200
    revoked = page.post("/account/devices/", {"device": digests[0], "action": "revoke"})
    assert revoked.status_code == 302
    assert sorted(get(t).status_code for t in mine) == [200, 401]
    page.post("/account/devices/", {"action": "revoke-all"})
    assert [get(t).status_code for t in mine] == [401, 401]
    assert get(theirs).status_code == 200
    assert "No app or other device" in page.get("/account/devices/").content.decode()


def test_signed_in_devices_needs_sign_in_and_csrf(demo_data, user_named):
    anonymous = Client().get("/account/devices/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/sign-in/")
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(user_named("oh.only"))
    sign_in()
    assert forged.post("/account/devices/", {"action": "revoke-all"}).status_code == 403
    assert AuthToken.objects.filter(user__username="oh.only").count() == 1


def test_signing_in_again_with_an_expired_token_still_sent_works(demo_data):
    old = sign_in()["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    response = Client().post(
        f"{API}/token",
        {"username": "oh.only", "password": "demo-password-3"},
        content_type="application/json",
        headers={"Authorization": f"Token {old}"},
    )
    assert response.status_code == 200 and response.json()["token"] != old
