"""Set-up of the example suite: the deployment's base URL, a QA token, one test veteran
per test (deleted afterwards), and axe on every page. Only public HTTP, nothing else."""

import os

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """A Chromium of the machine's own when CHROMIUM_PATH says so (else Playwright's)."""
    path = os.environ.get("CHROMIUM_PATH")
    if not path:
        return browser_type_launch_args
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def qa_api() -> requests.Session:
    """The QA API with the QA account's token (POST /my_health/v1/messaging/token)."""
    response = requests.post(
        f"{BASE_URL}/my_health/v1/messaging/token",
        json={"username": os.environ["QA_USERNAME"], "password": os.environ["QA_PASSWORD"]},
        timeout=30,
    )
    response.raise_for_status()
    session = requests.Session()
    session.headers["Authorization"] = f"Token {response.json()['token']}"
    return session


@pytest.fixture
def new_veteran(qa_api):
    """Create test veterans of a scenario for this test only; delete them at the end."""
    created = []

    def create(scenario: str = "vista.single", **overrides) -> dict:
        response = qa_api.post(
            f"{BASE_URL}/qa/api/veterans", json={"scenario": scenario}, timeout=60
        )
        assert response.status_code == 201, response.text
        veteran = response.json()
        created.append(veteran["username"])
        if overrides:
            answer = qa_api.put(
                f"{BASE_URL}/qa/api/veterans/{veteran['username']}/overrides",
                json=overrides,
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
        return veteran

    yield create
    for username in created:
        qa_api.delete(f"{BASE_URL}/qa/api/veterans/{username}", timeout=30)


_axe = Axe()


def accessible(page) -> None:
    """axe-core, WCAG 2.1 A and AA: no violation on the page as it is now."""
    result = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    violations = result.response["violations"]
    assert not violations, [(v["id"], v["help"]) for v in violations]
