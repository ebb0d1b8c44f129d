"""Two suites in parallel (threads, each with its own QA session against the live server)
create and override their own test veterans and see nothing of each other (qa.md)."""

import threading

import pytest
import requests

from messaging.rollout.flags import CURATED_LIST_FLOW
from tests.factories import DEMO_BUNDLE_PATH
from tests.helpers import BASE, QA_LEAD, load

pytestmark = pytest.mark.django_db(transaction=True)


def _suite(base: str, token: str, *, curated: bool, offset: int, out: dict) -> None:
    api = requests.Session()
    api.headers["Authorization"] = f"Token {token}"
    created = api.post(f"{base}/qa/api/veterans", json={"scenario": "vista.single"}).json()
    username = created["username"]
    answer = api.put(
        f"{base}/qa/api/veterans/{username}/overrides",
        json={"flags": {CURATED_LIST_FLOW: curated}, "todayOffsetDays": offset},
    )
    browser = requests.Session()
    inbox = browser.get(created["signInUrl"])
    # What this suite's veteran sees, several times while the other suite works.
    seen = []
    for _ in range(3):
        page = browser.get(f"{base}{BASE}/new-message/continue/", allow_redirects=False)
        seen.append(page.headers["Location"])
    banner = browser.get(f"{base}{BASE}/inbox/").text
    out[username] = {
        "overrides": answer.json(),
        "inbox": inbox.status_code,
        "continue": seen,
        "banner": banner,
        "deleted": api.delete(f"{base}/qa/api/veterans/{username}").status_code,
    }


def test_two_parallel_suites_see_nothing_of_each_other(live_server, set_flags):
    load(DEMO_BUNDLE_PATH.read_bytes())
    set_flags(curated=True, recent=True)
    token = requests.post(
        f"{live_server.url}/my_health/v1/messaging/token",
        json={"username": QA_LEAD[0], "password": QA_LEAD[1]},
    ).json()["token"]
    results: dict = {}
    threads = [
        threading.Thread(
            target=_suite,
            args=(live_server.url, token),
            kwargs={"curated": curated, "offset": offset, "out": results},
        )
        for curated, offset in ((True, 10), (False, -10))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 2
    (on_name, on), (off_name, off) = sorted(
        results.items(), key=lambda item: not item[1]["overrides"]["flags"][CURATED_LIST_FLOW]
    )
    assert on_name != off_name
    assert on["inbox"] == off["inbox"] == 200
    assert all(location.endswith("/recent/") for location in on["continue"]), on["continue"]
    assert all(location.endswith("/new-message/") for location in off["continue"]), off["continue"]
    assert on["overrides"]["todayOffsetDays"] == 10 and off["overrides"]["todayOffsetDays"] == -10
    assert "curated flow on (override)" in on["banner"] and "offset +10 days" in on["banner"]
    assert "curated flow off (override)" in off["banner"] and "offset -10 days" in off["banner"]
    assert on["deleted"] == off["deleted"] == 204
