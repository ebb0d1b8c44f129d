"""Every (flag state x flow state x page) combination goes where flow.md says."""

import itertools

import pytest

from messaging.compose import flow
from messaging.compose.flow import Facts, Flags, FlowState, Page

FLAG_STATES = [
    Flags(curated=c, recent=c and r) for c, r in [(True, True), (True, False), (False, False)]
]
STATES = [
    FlowState(accepted=a, care_team=t, origin=o)
    for a, t, o in itertools.product([False, True], [None, 42], ["inbox", "sent"])
]
FACTS = [
    Facts(can_message_anyone=m, has_recent=r)
    for m, r in itertools.product([True, False], [True, False])
]
PAGES = [Page.INTERSTITIAL, Page.RECENT, Page.SELECT, Page.START, Page.HELP]
COMBOS = list(itertools.product(FLAG_STATES, STATES, FACTS, PAGES))


def expected_redirect(flags: Flags, state: FlowState, facts: Facts, page: Page):
    """The spec, rule by rule (flow.md)."""
    # "A veteran with no care teams at all, or with every care team blocked, is sent back to
    # the Inbox with an explanation instead (no dead end)."
    if not facts.can_message_anyone:
        return Page.INBOX
    if page == Page.INTERSTITIAL:
        return None
    # "With the curated flag off, the curated pages (recent, select-care-team, start-message,
    # care-team-help) redirect to /new-message/."
    if not flags.curated:
        return Page.INTERSTITIAL
    if page == Page.HELP:
        return None
    # "Redirects: interstitial not accepted -> /new-message/" (recent; likewise the later steps)
    if not state.accepted:
        return Page.INTERSTITIAL
    # "recent flag off or no recent teams -> /new-message/select-care-team/"
    if page == Page.RECENT and not (flags.recent and facts.has_recent):
        return Page.SELECT
    # "No care team chosen yet -> redirect to /new-message/select-care-team/."
    if page == Page.START and state.care_team is None:
        return Page.SELECT
    return None


@pytest.mark.parametrize(("flags", "state", "facts", "page"), COMBOS)
def test_redirect_for_every_combination(flags, state, facts, page):
    assert flow.redirect_for(page, flags, state, facts) == expected_redirect(
        flags, state, facts, page
    )


def test_the_table_is_complete():
    assert len(COMBOS) == 3 * 8 * 4 * 5


@pytest.mark.parametrize(("flags", "facts"), list(itertools.product(FLAG_STATES, FACTS)))
def test_interstitial_continue(flags, facts):
    target = flow.continue_from(Page.INTERSTITIAL, flags, facts)
    if not flags.curated:
        assert target == Page.LEGACY  # "Curated flag off: go to the legacy compose page."
    elif flags.recent and facts.has_recent:
        assert target == Page.RECENT
    else:
        assert target == Page.SELECT


@pytest.mark.parametrize("flags", FLAG_STATES)
def test_recent_and_select_continue(flags):
    facts = Facts(True, True)
    assert flow.continue_from(Page.RECENT, flags, facts) == Page.START
    assert flow.continue_from(Page.RECENT, flags, facts, different_team=True) == Page.SELECT
    assert flow.continue_from(Page.SELECT, flags, facts) == Page.START


@pytest.mark.parametrize(
    ("flags", "facts", "origin"),
    list(itertools.product(FLAG_STATES, FACTS, ["inbox", "sent", "drafts"])),
)
def test_back_links(flags, facts, origin):
    state = FlowState(accepted=True, origin=origin)
    assert flow.back_from(Page.INTERSTITIAL, flags, state, facts) == origin
    assert flow.back_from(Page.RECENT, flags, state, facts) == Page.INTERSTITIAL
    shows_recent = flags.recent and facts.has_recent
    assert flow.back_from(Page.SELECT, flags, state, facts) == (
        Page.RECENT if shows_recent else Page.INTERSTITIAL
    )
    assert flow.back_from(Page.HELP, flags, state, facts) == Page.SELECT
    assert flow.back_from(Page.START, flags, state, facts) == Page.SELECT


def test_unknown_origin_goes_back_to_inbox():
    assert (
        flow.back_from(Page.INTERSTITIAL, FLAG_STATES[0], FlowState(origin="evil"), FACTS[0])
        == "inbox"
    )


@pytest.mark.parametrize(
    ("curated", "accepted", "expected"),
    [
        (True, False, Page.INTERSTITIAL),
        (True, True, Page.INTERSTITIAL),
        (False, False, Page.INTERSTITIAL),
        (False, True, Page.LEGACY),
    ],
)
def test_new_message_page(curated, accepted, expected):
    flags = Flags(curated=curated, recent=False)
    assert flow.new_message_page(flags, FlowState(accepted=accepted)) == expected


def test_send_key_is_stable_for_the_message_being_written():
    state = FlowState()
    key = state.ensure_send_key()
    assert key and state.ensure_send_key() == key
    assert FlowState().ensure_send_key() != key


def test_flags_name_the_flow_as_messages_record_it():
    from messaging.common.choices import Flow

    assert Flags(curated=True, recent=False).flow == Flow.CURATED
    assert Flags(curated=False, recent=False).flow == Flow.LEGACY
