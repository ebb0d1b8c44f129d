"""What a new message starts with (renewal lines, the messaging signature) and where a
renewal may send the veteran after sending."""

from datetime import date

import pytest

from messaging.compose.prefill import (
    PrescriptionLines,
    long_date,
    provider_name,
    renewal_body,
    safe_redirect_path,
    signature_text,
    with_signature,
)

HOSTILE = ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"]


def test_long_date_is_month_day_year_without_padding():
    assert long_date(date(2027, 1, 5)) == "January 5, 2027"
    assert long_date(None) == ""


def test_renewal_body_lines_and_fallbacks():
    lines = PrescriptionLines(
        name="Metformin HCl 500 MG Oral Tablet",
        instructions="Take one tablet by mouth twice daily",
        provider=provider_name("Linh", "Nguyen"),
        expiration_date=date(2027, 1, 15),
        dispensed_date=None,
        quantity=60,
        known=True,
    )
    assert renewal_body(lines).split("\n") == [
        "Medication name, strength, and form: Metformin HCl 500 MG Oral Tablet",
        "Instructions: Take one tablet by mouth twice daily",
        "Provider who prescribed it: Linh Nguyen",
        "Prescription expiration date: January 15, 2027",
        "Last filled on: Not filled yet",
        "Quantity: 60",
    ]
    assert renewal_body(PrescriptionLines()).split("\n")[4] == "Last filled on: "
    assert provider_name("", "Nguyen") == "Nguyen" and provider_name("", "") == ""


def test_signature_after_two_empty_lines():
    signature = signature_text(name="Dana Whitfield", title="Caregiver")
    assert signature == "Dana Whitfield\nCaregiver"
    assert signature_text(name="Dana", title="  ") == "Dana"
    assert with_signature("", signature) == "\n\nDana Whitfield\nCaregiver"
    assert with_signature("Quantity: 60", "Dana") == "Quantity: 60\n\n\nDana"
    assert with_signature("text", "") == "text"


@pytest.mark.parametrize(
    "value",
    [
        *HOSTILE,
        "",
        None,
        "my-health/medications/",
        "/\t/evil.example",
        "/\n/evil.example",
        "http:/evil.example",
        "/no/such/page/",
        "/my-health/medications/\\..",
        "/" + "a" * 400,
        " /my-health/medications/",
    ],
)
def test_safe_redirect_path_refuses(value):
    assert safe_redirect_path(value) == ""


@pytest.mark.parametrize(
    "value",
    ["/my-health/medications/", "/my-health/secure-messages/inbox/", "/my-health/medications/?a=1"],
)
def test_safe_redirect_path_keeps_paths_on_this_site(value):
    assert safe_redirect_path(value) == value
