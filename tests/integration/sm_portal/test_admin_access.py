"""/admin/: a veteran gets a 403 page, not a redirect loop; the signed out go to sign-in."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_veteran_opening_admin_gets_a_403_page(veteran_client):
    client = veteran_client("vista.single")
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1  # /admin/login/, then the 403 page
    assert "You can’t see this page" in response.content.decode()


def test_signed_out_admin_goes_to_sign_in(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/sign-in/?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_staff_reach_the_admin(client, demo_data, user_named):
    client.force_login(user_named("qa.lead"))
    assert client.get("/admin/").status_code == 200
