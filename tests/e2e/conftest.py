"""End-to-end: the system Chromium against pytest-django's live server."""

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.chromium import CHROMIUM_FLAGS, CHROMIUM_PATH

# Playwright's sync API runs an event loop in the test thread; ORM calls from test code
# would raise SynchronousOnlyOperation without this (tests only, never in settings).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM_PATH,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(autouse=True)
def _mark_e2e(request):
    request.node.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """Every page the suite visits works under the Content-Security-Policy: a violation
    (an inline script or style, a foreign source) fails the test."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield
    assert not violations, violations


_axe = Axe()


def assert_accessible(page, context: str = "", *, javascript: bool = True):
    """axe-core, WCAG 2.1 A/AA, zero violations (printed when there are some).

    axe runs as a script, so a page from a JavaScript-off context is checked as rendered:
    its HTML (scripts removed) is loaded into a scripting page of the same origin."""
    target = page
    if not javascript:
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S)
        context_js = page.context.browser.new_context()
        target = context_js.new_page()
        origin = re.match(r"https?://[^/]+", page.url).group(0)
        target.goto(f"{origin}/health/")
        target.set_content(html, wait_until="load")
    try:
        _run_axe(target, page.url, context)
    finally:
        if target is not page:
            target.context.close()


def _run_axe(page, url, context):
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    violations = results.response["violations"]
    if violations:
        lines = [
            f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}"
            for v in violations
        ]
        raise AssertionError(
            f"axe found {len(violations)} violations on {url} {context}:\n" + "\n".join(lines)
        )


@pytest.fixture
def flags_on(set_flags):
    set_flags(curated=True, recent=True)


@pytest.fixture
def signed_in(page, live_server, demo_data, flags_on):
    """Sign in through the demo sign-in page as the named veteran (both flags on)."""

    def sign_in(username: str, on=None):
        target = on or page
        target.goto(f"{live_server.url}/sign-in/demo/")
        target.get_by_role("button", name=f"Sign in as {username}").click()
        target.wait_for_url("**/inbox/")
        return target

    return sign_in


@pytest.fixture
def no_js_page(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()
