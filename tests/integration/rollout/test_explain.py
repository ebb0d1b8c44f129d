"""Rollout for testers: the whitelist's edge cases, and "is veteran X in the current stage
of flag Y, and why" (command and dashboard), which agrees with the flag check itself."""

import pytest
import waffle
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory

from messaging.models import Flag, TestVeteran, sticky_bucket
from messaging.rollout import stages as rollout
from messaging.rollout.explain import veteran_in_stage
from messaging.rollout.flags import CURATED_LIST_FLOW, RECENT_RECIPIENTS

pytestmark = pytest.mark.django_db


def _active(user, name=CURATED_LIST_FLOW) -> bool:
    request = RequestFactory().get("/")
    request.user = user
    return waffle.flag_is_active(request, name)


def test_removing_the_last_whitelisted_veteran_keeps_the_stage(demo_data, user_named):
    rollout.whitelist(CURATED_LIST_FLOW, "vista.single", add=True, actor="lead")
    state = rollout.whitelist(CURATED_LIST_FLOW, "vista.single", add=False, actor="lead")
    assert state["stage"] == "whitelist" and state["whitelist_users"] == []
    assert rollout.advance(CURATED_LIST_FLOW, actor="lead", force=True, reason="t")["stage"] == "A"


def test_an_empty_whitelist_stage_reports_itself_as_whitelist(demo_data):
    state = rollout.set_stage(CURATED_LIST_FLOW, "whitelist", actor="lead")
    assert state["stage"] == "whitelist"
    assert rollout.state_of(Flag.objects.get(name=CURATED_LIST_FLOW))["stage"] == "whitelist"
    assert rollout.rollback(CURATED_LIST_FLOW, actor="lead")["stage"] == "off"


def _answers_agree(user, name=CURATED_LIST_FLOW) -> bool:
    # waffle flushes its cache on commit; a test's transaction never commits.
    Flag.objects.get(name=name).flush()
    user = get_user_model().objects.get(pk=user.pk)  # a fresh object: no memo
    membership = veteran_in_stage(flag_name=name, username=user.username)
    assert membership.included == _active(user, name), membership
    return membership


def test_explain_names_every_reason_and_agrees_with_the_flag(demo_data, user_named):
    vet = user_named("vista.multi")
    TestVeteran.objects.filter(user=vet).delete()  # a real veteran
    TestVeteran.forget(vet.pk)
    assert "off" in _answers_agree(vet).reason
    rollout.whitelist(CURATED_LIST_FLOW, "vista.multi", add=True, actor="lead")
    assert _answers_agree(vet).reason == "on the whitelist by name"
    rollout.whitelist(CURATED_LIST_FLOW, "vista.multi", add=False, actor="lead")
    assert "not on the whitelist" in _answers_agree(vet).reason
    pilots = Group.objects.create(name="pilots")
    vet.groups.add(pilots)
    rollout.whitelist(CURATED_LIST_FLOW, "pilots", add=True, actor="lead")
    assert _answers_agree(vet).reason == "in the whitelisted group pilots"
    vet.groups.remove(pilots)
    rollout.set_stage(CURATED_LIST_FLOW, "C", actor="lead", force=True, reason="t")
    place = sticky_bucket(CURATED_LIST_FLOW, vet.pk)
    membership = _answers_agree(vet)
    assert f"{place:.2f}" in membership.reason and "50 %" in membership.reason
    rollout.set_stage(CURATED_LIST_FLOW, "E", actor="lead", force=True, reason="t")
    assert _answers_agree(vet).reason == "stage E: everyone"
    rollout.rollback(CURATED_LIST_FLOW, actor="lead")
    assert "rolled back" in _answers_agree(vet).reason


def test_explain_names_a_test_veterans_override(demo_data, user_named):
    vet = user_named("vista.single")
    TestVeteran.objects.filter(user=vet).update(flag_overrides={RECENT_RECIPIENTS: True})
    TestVeteran.forget(vet.pk)
    membership = _answers_agree(vet, RECENT_RECIPIENTS)
    assert membership.included and "QA override" in membership.reason


def test_explain_command(demo_data, capsys):
    rollout.set_stage(CURATED_LIST_FLOW, "E", actor="lead", force=True, reason="t")
    call_command("rollout", "explain", "vista.single", "--flag", CURATED_LIST_FLOW)
    out = capsys.readouterr().out
    assert f"vista.single is in the current stage (E) of {CURATED_LIST_FLOW}: stage E" in out
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no account named"):
        call_command("rollout", "explain", "nobody")


def test_explain_on_the_dashboard(client, demo_data, user_named):
    client.force_login(user_named("qa.lead"))
    page = client.get("/ops/rollout/?veteran=vista.single").content.decode()
    assert 'id="explain-answers"' in page
    assert f"<strong>{CURATED_LIST_FLOW}</strong>: vista.single is not in stage off" in page
    page = client.get("/ops/rollout/?veteran=nobody").content.decode()
    assert "no account named &#x27;nobody&#x27;" in page


def test_waffle_override_is_local_and_for_one_request(demo_data, user_named, settings):
    """README: WAFFLE_OVERRIDE (never in production) lets one URL carry ?<flag>=1|0, at
    every stage; the next request without it is back on the stage."""
    rollout.set_stage(CURATED_LIST_FLOW, "whitelist", actor="lead")
    Flag.objects.get(name=CURATED_LIST_FLOW).flush()
    user = user_named("vista.multi")

    def active(query: str) -> bool:
        request = RequestFactory().get(f"/?{query}")
        request.user = get_user_model().objects.get(pk=user.pk)
        return waffle.flag_is_active(request, CURATED_LIST_FLOW)

    settings.WAFFLE_OVERRIDE = True
    assert active(f"{CURATED_LIST_FLOW}=1") is True
    assert active("") is False
    settings.WAFFLE_OVERRIDE = False  # as the production profile forces
    assert active(f"{CURATED_LIST_FLOW}=1") is False
