"""Small helpers the tests share (fixtures live in conftest.py files): the site's base path,
loading a bundle through the real loader, and walking the flow to a chosen team."""

import json

from messaging.recipients.bundle import bundle_parse
from messaging.services.bundle import bundle_load

BASE = "/my-health/secure-messages"


def load(data: dict | str | bytes):
    text = data if isinstance(data, str | bytes) else json.dumps(data)
    return bundle_load(bundle=bundle_parse(text))


def choose_team(client, station: str, team_id: int):
    """Walk interstitial -> select care team -> chosen team, as the pages do."""
    assert client.get(f"{BASE}/new-message/continue/").status_code == 302
    response = client.post(
        f"{BASE}/new-message/select-care-team/",
        {"care_system": station, "care_team": str(team_id), "action": "continue"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/start-message/"), (
        response
    )
    return response
