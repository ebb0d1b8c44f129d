from playwright.sync_api import expect

from .conftest import assert_accessible


def test_demo_veteran_signs_in_and_sees_inbox(page, live_server, demo_data):
    page.goto(f"{live_server.url}/my-health/secure-messages/inbox/")
    # Deny by default: sent to sign-in first.
    expect(page.get_by_role("heading", level=1, name="Sign in to secure messages")).to_be_visible()
    assert_accessible(page, "sign-in")

    page.get_by_role("link", name="Sign in as a demo veteran").click()
    expect(page.get_by_role("heading", level=1, name="Sign in as a demo veteran")).to_be_visible()
    assert_accessible(page, "demo sign-in")

    page.get_by_role("button", name="Sign in as vista.single").click()
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    expect(page.get_by_role("link", name="Start a new message")).to_be_visible()
    expect(page.get_by_text("Alex Rivera")).to_be_visible()
    expect(page).to_have_title("Inbox - Messages | Veterans Affairs")
    assert_accessible(page, "inbox")


def test_sign_in_with_password_and_error(page, live_server, demo_data):
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("Username").fill("hybrid")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("We couldn’t sign you in")
    assert_accessible(page, "sign-in with error")
    page.get_by_label("Password").fill("demo-password-4")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1, name="Sign in to secure messages")).to_be_visible()


def test_error_pages_say_what_happened_and_are_accessible(
    page, live_server, signed_in, monkeypatch
):
    from django.db import OperationalError
    from django.db.backends.base.base import BaseDatabaseWrapper

    signed_in("vista.single")
    response = page.goto(f"{live_server.url}/my-health/secure-messages/no-such-page/")
    assert response.status == 404
    expect(
        page.get_by_role("heading", level=1, name="Sorry — we can’t find that page")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Go to your messages")).to_be_visible()
    assert_accessible(page, "404")

    def refuse(self):
        raise OperationalError("connection refused")

    with monkeypatch.context() as down:  # the database stops answering
        down.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
        response = page.goto(f"{live_server.url}/my-health/secure-messages/inbox/")
    assert response.status == 503
    expect(page.get_by_role("heading", level=1, name="Try again in a few minutes")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("We can’t reach our records right now")
    assert_accessible(page, "503")
    # Back without a restart.
    page.goto(f"{live_server.url}/my-health/secure-messages/inbox/")
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
