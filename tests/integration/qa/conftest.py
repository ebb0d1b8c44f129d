import pytest
from rest_framework.test import APIClient

QA_LEAD = ("qa.lead", "demo-staff-password")
API = "/qa/api"


def token_for(username: str, password: str) -> str:
    """An API token the way a suite gets one: POST /my_health/v1/messaging/token."""
    response = APIClient().post(
        "/my_health/v1/messaging/token",
        {"username": username, "password": password},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def qa_api(demo_data):
    """An API client with the demo QA lead's token (group qa), as an external suite has."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(*QA_LEAD)}")
    return client


@pytest.fixture
def create(qa_api):
    def make(scenario: str = "hybrid") -> dict:
        response = qa_api.post(f"{API}/veterans", {"scenario": scenario}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return make
