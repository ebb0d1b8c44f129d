"""End-to-end: the system Chromium against pytest-django's live server."""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

# Playwright's sync API runs an event loop in the test thread; ORM calls from test code
# would raise SynchronousOnlyOperation without this (tests only, never in settings).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(autouse=True)
def _mark_e2e(request):
    request.node.add_marker(pytest.mark.e2e)


_axe = Axe()


def assert_accessible(page, context: str = ""):
    """axe-core, WCAG 2.1 A/AA, zero violations (printed when there are some)."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    if violations:
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
            for v in violations
        ]
        raise AssertionError(
            f"axe found {len(violations)} violations on {page.url} {context}:\n" + "\n".join(lines)
        )


@pytest.fixture
def signed_in(page, live_server, demo_data):
    """Sign in through the demo sign-in page as the named veteran."""

    def sign_in(username: str):
        page.goto(f"{live_server.url}/sign-in/demo/")
        page.get_by_role("button", name=f"Sign in as {username}").click()
        page.wait_for_url("**/inbox/")
        return page

    return sign_in
