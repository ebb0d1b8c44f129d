"""Fixtures the integration tests share."""

import pytest
from rest_framework.test import APIClient

from tests.helpers import QA_API, QA_LEAD, choose_team, token_for


@pytest.fixture
def at_start(veteran_client, set_flags):
    def go(username="vista.single", station="589", team=4399504):
        set_flags(curated=True, recent=False)
        client = veteran_client(username)
        choose_team(client, station, team)
        return client

    return go


@pytest.fixture
def api(demo_data, user_named):
    def as_veteran(username="oh.only"):
        client = APIClient()
        client.force_authenticate(user_named(username))
        return client

    return as_veteran


@pytest.fixture
def qa_api(demo_data):
    """An API client with the demo QA lead's token (group qa), as an external suite has."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(*QA_LEAD)}")
    return client


@pytest.fixture
def create(qa_api):
    """Create a test veteran through the QA API: {"username", "password", "signInUrl"}."""

    def make(scenario: str = "hybrid") -> dict:
        response = qa_api.post(f"{QA_API}/veterans", {"scenario": scenario}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return make
