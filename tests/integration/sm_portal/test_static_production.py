"""Static files as production serves them: collected, fingerprinted, compressed and cached for
a year by WhiteNoise; the pages point at the fingerprinted names."""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


MANIFEST = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """One collectstatic run for the module."""
    from django.conf import settings

    root = tmp_path_factory.mktemp("staticfiles")
    storages = {**settings.STORAGES, "staticfiles": MANIFEST}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        # Only the site's own files: compressing the admin's and DRF's ~500 files takes long.
        call_command(
            "collectstatic", "--noinput", verbosity=0, ignore_patterns=["admin", "rest_framework"]
        )
    return root


@pytest.fixture
def production_static(settings, collected):
    settings.STATIC_ROOT = collected
    settings.STORAGES = {**settings.STORAGES, "staticfiles": MANIFEST}
    settings.WHITENOISE_MAX_AGE = 31536000
    settings.WHITENOISE_AUTOREFRESH = False
    return collected


def test_pages_load_fingerprinted_files_served_compressed_and_cached(
    production_static, client: Client
):
    page = client.get("/sign-in/").content.decode()
    css = re.search(r'href="(/static/sm\.[0-9a-f]{12}\.css)"', page)
    js = re.search(r'src="(/static/sm\.[0-9a-f]{12}\.js)"', page)
    assert css and js, "the page points at fingerprinted names"
    assert (production_static / css.group(1).removeprefix("/static/")).exists()
    for url in (css.group(1), js.group(1)):
        fresh = Client()  # WhiteNoise reads STATIC_ROOT when the handler starts
        response = fresh.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200
        assert response["Content-Encoding"] in ("br", "gzip")
        assert "max-age=31536000" in response["Cache-Control"]
        assert "immutable" in response["Cache-Control"]
        assert response["Vary"] == "Accept-Encoding"


def test_the_unfingerprinted_name_is_not_cached_for_a_year(production_static):
    response = Client().get("/static/sm.css")
    assert response.status_code == 200
    assert "immutable" not in response.get("Cache-Control", "")
