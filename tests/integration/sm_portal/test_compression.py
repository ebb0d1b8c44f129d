"""JSON is compressed when the client accepts it (brotli first, then gzip); HTML pages with
a CSRF token never are (BREACH). allrecipients for a 2,000-team veteran: <= 120 KB."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from django.contrib.auth import get_user_model

from sm_portal.compression import accepted_encodings
from tests.factories import big_veteran_bundle
from tests.helpers import load

pytestmark = pytest.mark.django_db

API = "/my_health/v1/messaging"
BASE = "/my-health/secure-messages"


@pytest.fixture
def big(client, set_flags):
    set_flags(curated=True, recent=True)
    load(big_veteran_bundle("big", teams=2000, id_base=4))
    client.force_login(get_user_model().objects.get(username="big"))
    return client


def decoded(response) -> bytes:
    coding = response.get("Content-Encoding", "")
    body = response.content
    return {"br": brotli.decompress, "gzip": gzip.decompress}.get(coding, lambda b: b)(body)


def test_allrecipients_is_compressed_and_small_on_the_wire(big):
    plain = big.get(f"{API}/allrecipients")
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert "Accept-Encoding" in plain["Vary"]
    for header, coding in (("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip")):
        response = big.get(f"{API}/allrecipients", HTTP_ACCEPT_ENCODING=header)
        assert response["Content-Encoding"] == coding, header
        assert json.loads(decoded(response)) == json.loads(plain.content)
        assert int(response["Content-Length"]) == len(response.content)
        assert len(response.content) <= 120_000, (header, len(response.content))
    assert len(plain.content) > 500_000  # what it would cost uncompressed
    none = big.get(f"{API}/allrecipients", HTTP_ACCEPT_ENCODING="identity")
    assert "Content-Encoding" not in none and none.content == plain.content


def test_html_pages_with_a_csrf_token_are_never_compressed(big):
    for path in (f"{BASE}/new-message/", f"{BASE}/inbox/", f"{BASE}/new-message/select-care-team/"):
        big.get(f"{BASE}/new-message/continue/")
        response = big.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.status_code == 200, path
        assert "Content-Encoding" not in response, path
    page = big.get(f"{BASE}/new-message/select-care-team/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert b"csrfmiddlewaretoken" in page.content


def test_small_and_error_json_stay_readable(big):
    response = big.get(f"{API}/folders", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response.status_code == 200
    assert json.loads(decoded(response))
    missing = big.get(f"{API}/messages/999999999", HTTP_ACCEPT_ENCODING="gzip, br")
    assert missing.status_code == 404
    assert json.loads(decoded(missing))


def test_accept_encoding_is_parsed_with_q_values():
    assert accepted_encodings("gzip, deflate, br") == {"gzip", "deflate", "br"}
    assert accepted_encodings("br;q=0, gzip;q=0.5") == {"gzip"}
    assert accepted_encodings("GZIP ; q=1.0 , *;q=0") == {"gzip"}
    assert accepted_encodings("") == set()
    assert accepted_encodings("gzip;q=bogus") == set()
