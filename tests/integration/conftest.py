"""Fixtures the integration tests share."""

import pytest
from rest_framework.test import APIClient

from tests.helpers import choose_team


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
