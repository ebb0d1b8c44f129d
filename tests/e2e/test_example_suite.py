"""`examples/playwright/` (the external suite of docs/testing-against-staging.md) runs
against the live test server, as a QA team would run it against staging: its own pytest,
its own browser, only HTTP, only the QA account's name and password."""

import os
import subprocess
import sys
from pathlib import Path

from tests.chromium import CHROMIUM_PATH

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "playwright"


def test_the_example_suite_passes_against_the_live_server(live_server, demo_data, set_flags):
    set_flags(curated=False, recent=False)  # the example sets what it needs per veteran
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_"))
    }
    env.update(
        BASE_URL=live_server.url,
        QA_USERNAME="qa.lead",
        QA_PASSWORD="demo-staff-password",
        CHROMIUM_PATH=CHROMIUM_PATH,
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:django", str(EXAMPLE)],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # Every test of the example ran and passed (none skipped or deselected).
    count = sum(path.read_text().count("\ndef test_") for path in EXAMPLE.glob("test_*.py"))
    assert f"{count} passed" in result.stdout, result.stdout[-2000:]
