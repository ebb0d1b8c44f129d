"""docs/testing-against-staging.md stays true: its bundle JSON Schema is the one the
loader's models generate, and every QA API call it lists exists."""

import json
import re

from django.urls import resolve

from messaging.management.commands.bundle_schema import DOC, END, START, schema_text


def test_the_documented_schema_is_the_loaders():
    text = DOC.read_text()
    block = text.split(START, 1)[1].split(END, 1)[0]
    documented = re.search(r"```json\n(.*)\n```", block, re.S).group(1)
    assert json.loads(documented) == json.loads(schema_text()), (
        "run `manage.py bundle_schema --update-doc`"
    )


def test_the_schema_describes_the_2026_fields():
    schema = json.loads(schema_text())
    veteran = schema["$defs"]["Veteran"]["properties"]
    assert {"testAccount", "signature", "prescriptions"} <= set(veteran)
    assert "groups" in schema["$defs"]["Staff"]["properties"]
    assert "careSystems" not in schema.get("required", [])  # may reference loaded stations


def test_every_documented_qa_call_exists():
    text = DOC.read_text()
    calls = set(re.findall(r"`(GET|POST|PUT|DELETE) (/qa/api/[^` ]+)", text))
    assert len(calls) >= 7
    for _method, path in calls:
        resolve(path.replace("{username}", "qa-hybrid-0123abcd"))
