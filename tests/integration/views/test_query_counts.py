"""Every flow page costs the same number of queries for 10 and for 2,000 care teams."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import big_veteran_bundle
from tests.helpers import BASE, load

pytestmark = pytest.mark.django_db
NEW = f"{BASE}/new-message"


def _walk(client, username: str, *, curated: bool) -> dict[str, int]:
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    client.get(f"{NEW}/")  # warm the flag cache, as any running server has
    counts = {}

    def count(name, method, path, data=None):
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(path, data or {})
        assert response.status_code in (200, 302), (name, response.status_code)
        counts[name] = len(ctx)
        return response

    count("interstitial", "get", f"{NEW}/")
    count("continue", "get", f"{NEW}/continue/")
    if curated:
        count("recent", "get", f"{NEW}/recent/")
        page = count("select-care-team", "get", f"{NEW}/select-care-team/")
        system = page.context["systems"][0].station_number
        page = count(
            "select-update",
            "post",
            f"{NEW}/select-care-team/",
            {"care_system": system, "action": "update"},
        )
        team = re.findall(r'<option value="(\d+)"', str(page.context["team_options"]))[0]
        count(
            "select-continue",
            "post",
            f"{NEW}/select-care-team/",
            {"care_system": system, "care_team": team, "action": "continue"},
        )
        count("start-message", "get", f"{NEW}/start-message/")
        count("care-team-help", "get", f"{NEW}/care-team-help/")
    else:
        count("legacy-compose", "get", f"{NEW}/")
    count("contact-list", "get", f"{BASE}/contact-list/")
    return counts


@pytest.mark.parametrize("curated", [True, False])
def test_flow_pages_query_count_constant(client, set_flags, curated):
    set_flags(curated=curated, recent=True)
    load(big_veteran_bundle("small", teams=10, id_base=1))
    load(big_veteran_bundle("large", teams=2000, id_base=2))
    small = _walk(client, "small", curated=curated)
    large = _walk(client, "large", curated=curated)
    print("queries per page (10 teams / 2000 teams):", {k: (small[k], large[k]) for k in small})
    assert small == large
    # On SQLite the flags and the account's test state (QA tools) are read from the
    # database cache table; with Redis, 3 fewer.
    assert max(small.values()) <= 14


def _moving(username: str, *, teams: int, id_base: int) -> dict:
    """The big veteran, with their first three VistA systems warned (p2), locked (p4) and cut
    over (p7, with pools in place of its VistA teams: a tenth as many as the veteran's teams)."""
    from tests.factories import pool

    data = big_veteran_bundle(username, teams=teams, id_base=id_base)
    vista = [s for s in data["careSystems"] if s["ehr"] == "vista"]
    for system, in_days in zip(vista, (20, 2, -10), strict=False):
        system["migration"] = {"inDays": in_days}
    station = vista[2]["stationNumber"]
    first = id_base * 10_000_000 + 3_000_000
    data["ohPools"].append(
        {"stationNumber": station, "pools": [pool(first + n, station) for n in range(teams // 10)]}
    )
    return data


@pytest.mark.parametrize("curated", [True, False])
def test_query_count_constant_through_facility_transitions(client, set_flags, curated):
    set_flags(curated=curated, recent=True)
    load(_moving("small", teams=10, id_base=1))
    load(_moving("large", teams=2000, id_base=2))
    counts = {}
    for username in ("small", "large"):
        counts[username] = _walk(client, username, curated=curated)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(f"{BASE}/inbox/")
        assert "right now" in page.content.decode()  # the locked alert is there
        counts[username]["inbox"] = len(ctx)
    print("queries per page, moving systems (10 / 2000 teams):", counts)
    assert counts["small"] == counts["large"]
