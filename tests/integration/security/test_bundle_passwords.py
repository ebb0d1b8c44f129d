"""No published password opens a production account (data.md, "Added in 2026"): under the
production profile `load_bundle` gives every account it loads an unusable password and
refuses `staff` entries without --allow-staff; every password set from a file passes
Django's password validators, or nothing is stored."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from messaging.models import CareSystem, Message
from tests.factories import DEMO_BUNDLE_PATH, bundle, care_system, demo_bundle, veteran

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def production(settings):
    settings.PRODUCTION = True


def write(tmp_path, data: dict):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data))
    return path


def nothing_stored():
    return not User.objects.exists() and not CareSystem.objects.exists()


def test_demo_bundle_with_staff_is_refused_under_production(production, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("load_bundle", str(DEMO_BUNDLE_PATH))
    assert "staff: 1 staff accounts refused under the production profile" in str(refused.value)
    assert "--allow-staff" in str(refused.value)
    assert nothing_stored()


def test_no_account_loaded_under_production_has_a_usable_password(production, tmp_path):
    data = demo_bundle()
    data["staff"] = []
    call_command("load_bundle", str(write(tmp_path, data)))
    accounts = User.objects.all()
    assert accounts.count() == len(data["veterans"])
    assert not any(user.has_usable_password() for user in accounts)
    # The published demo password opens nothing.
    client = Client()
    response = client.post("/sign-in/", {"username": "vista.single", "password": "demo-password-1"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert Message.objects.filter(state="sent").exists()  # the rest of the bundle is there


def test_an_account_loaded_earlier_loses_its_usable_password(production, tmp_path, settings):
    settings.PRODUCTION = False
    data = demo_bundle()
    data["staff"] = []
    call_command("load_bundle", str(write(tmp_path, data)))
    assert User.objects.get(username="vista.single").check_password("demo-password-1")
    settings.PRODUCTION = True
    call_command("load_bundle", str(write(tmp_path, data)))
    assert not User.objects.filter(password__startswith="md5$").exists()
    assert not User.objects.get(username="vista.single").has_usable_password()


def test_allow_staff_creates_staff_whose_passwords_pass_the_validators(production, tmp_path):
    data = demo_bundle()
    data["staff"] = [
        {"username": "ops.lead", "password": "password", "fullName": "Ops Lead"},
        {"username": "ops.two", "password": "ops.two", "fullName": "Ops Two"},
    ]
    with pytest.raises(CommandError) as refused:
        call_command("load_bundle", str(write(tmp_path, data)), allow_staff=True)
    message = str(refused.value)
    assert "staff[0].password: This password is too common." in message
    assert "staff[1].password: The password is too similar to the username." in message
    assert nothing_stored()
    data["staff"] = [
        {"username": "ops.lead", "password": "c7-Rotating-Ledger-92", "fullName": "Ops Lead"}
    ]
    call_command("load_bundle", str(write(tmp_path, data)), allow_staff=True)
    staff = User.objects.get(username="ops.lead")
    assert staff.is_staff and staff.check_password("c7-Rotating-Ledger-92")
    assert not User.objects.filter(is_staff=False, password__startswith="md5$").exists()


def test_validators_run_on_every_password_set_from_a_file(tmp_path):
    """The local profile sets the bundle's passwords: each must pass the validators."""
    data = bundle(
        care_systems=[care_system("589", "VA Kansas City health care")],
        veterans=[
            veteran("weak.one", password="12345678"),
            veteran("short.one", password="abc"),
            veteran("fine.one"),
        ],
    )
    with pytest.raises(CommandError) as refused:
        call_command("load_bundle", str(write(tmp_path, data)))
    message = str(refused.value)
    assert "veterans[0].password: This password is too common." in message
    assert "veterans[0].password: This password is entirely numeric." in message
    assert "veterans[1].password: This password is too short." in message
    assert "veterans[2]" not in message
    assert nothing_stored()
