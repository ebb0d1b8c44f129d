"""Benchmark the new-message flow's pages against the spec's performance bars
(docs: /work/shared/spec/quality.md, "Performance"). Prints numbers from one run (the
machine is shared and noisy): ratios of median in-process timings, never assertions.

    .venv/bin/python bench/pages.py [--reps 30] [--no-browser]

1. server time, select care team: 2,000 teams across 12 care systems vs 10 teams (<= 3x)
2. server time, each flow page vs a minimal signed-in view rendering a template (<= 3x)
3. SQL queries per flow page at 10 and at 2,000 teams (the same for both)
4. gzip -9 weight of each flow page's HTML at 2,000 teams (<= 25 KB) and of the CSS + JS
   the pages load (<= 45 KB)
5. requests for the first render of each flow page in Chromium against a live server
   (one HTML response, at most 3 static files, no API calls)

Uses a throwaway SQLite file in /tmp (never the project's or the test database), migrates
it, loads a 10-team and a 2,000-team veteran with tests/factories.py through the real
bundle loader, turns both flags on for everyone, and walks each veteran's flow (interstitial
continue, a team chosen) so that every page renders rather than redirects. Timings use
Django's test client in-process, interleaved page by page, after a warm-up round.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "/my-health/secure-messages"
NEW = f"{BASE}/new-message"
PAGES = {
    "interstitial": f"{NEW}/",
    "recent": f"{NEW}/recent/",
    "select-care-team": f"{NEW}/select-care-team/",
    "start-message": f"{NEW}/start-message/",
}
SMALL, LARGE = 10, 2000
TIME_BAR = 3.0
HTML_BAR = 25_000  # bytes, gzip -9 (KB = 1,000 bytes, as static/src/build.mjs counts)
ASSETS_BAR = 45_000
MAX_STATIC = 3


def setup(db_path: str) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))  # pages_urls
    # BENCH_DATABASE_URL: an empty database of its own (e.g. PostgreSQL, with REDIS_URL for
    # the production-like pair); never the app's or the test suite's database.
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{db_path}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no per-request log line on the terminal
    # WhiteNoise finds no collected files in the local profile (static files are served by
    # the live server's static handler here).
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sm_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ROOT_URLCONF = "pages_urls"  # sm_portal.urls plus the minimal view
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0, interactive=False)


def load_data():
    """A 10-team and a 2,000-team veteran (tests/factories.py), both flags on for everyone."""
    import json

    from django.contrib.auth import get_user_model

    from messaging.models import Flag
    from messaging.recipients.bundle import bundle_parse
    from messaging.rollout.flags import ALL_FLAGS
    from messaging.services.bundle import bundle_load
    from tests.factories import big_veteran_bundle

    for name, teams, id_base in (("bench.small", SMALL, 1), ("bench.large", LARGE, 2)):
        bundle_load(
            bundle=bundle_parse(json.dumps(big_veteran_bundle(name, teams=teams, id_base=id_base)))
        )
    for name in ALL_FLAGS:  # as tests' set_flags does: through the model, cache flushed
        flag, _ = Flag.objects.get_or_create(name=name)
        flag.everyone = True
        flag.save()
        flag.flush()
    User = get_user_model()
    return User.objects.get(username="bench.small"), User.objects.get(username="bench.large")


def signed_in_client(user):
    """A test client signed in as `user`, walked to start-message with a team chosen
    (interstitial continue, then select care team -> Continue), as tests' choose_team does."""
    from django.test import Client

    from messaging.recipients import recipients_for
    from messaging.selectors.teams import systems_offered, teams_in_system

    client = Client()
    client.force_login(user)
    assert client.get(f"{NEW}/").status_code == 200
    assert client.get(f"{NEW}/continue/").status_code == 302
    recipients = recipients_for(user)
    system = systems_offered(recipients=recipients)[0]
    team = teams_in_system(recipients=recipients, station_number=system.station_number)[0]
    response = client.post(
        f"{NEW}/select-care-team/",
        {"care_system": system.station_number, "care_team": str(team.id), "action": "continue"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/start-message/"), (
        response.status_code,
        response.get("Location"),
    )
    for name, path in PAGES.items():
        status = client.get(path).status_code
        assert status == 200, (user.username, name, status)
    return client


def time_pages(targets: dict[str, tuple], reps: int) -> dict[str, list[float]]:
    """Milliseconds per GET for each (client, path), interleaved so noise hits all alike."""
    times: dict[str, list[float]] = {key: [] for key in targets}
    for key, (client, path) in targets.items():  # warm-up round
        assert client.get(path).status_code == 200, key
    for _ in range(reps):
        for key, (client, path) in targets.items():
            started = time.perf_counter()
            response = client.get(path)
            times[key].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (key, response.status_code)
    return times


def count_queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx.captured_queries)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def assets_loaded(html_pages: list[str]) -> list[str]:
    """The stylesheets and scripts the pages' HTML points at (under STATIC_URL)."""
    from django.conf import settings

    found: dict[str, None] = {}
    for html in html_pages:
        for tag in re.findall(r"<(?:link|script)\b[^>]*>", html):
            if tag.startswith("<link") and 'rel="stylesheet"' not in tag:
                continue
            match = re.search(r'(?:href|src)="([^"]+)"', tag)
            if match and match.group(1).startswith(settings.STATIC_URL):
                found[match.group(1)[len(settings.STATIC_URL) :]] = None
    return list(found)


def first_render_requests(
    chromium: str, server_url: str, session_cookie: tuple[str, str]
) -> dict[str, dict]:
    """Each flow page opened in a fresh browser context (empty cache): the requests it made."""
    from playwright.sync_api import sync_playwright

    from tests.chromium import CHROMIUM_FLAGS

    results: dict[str, dict] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=CHROMIUM_FLAGS,
        )
        try:
            for name, path in PAGES.items():
                context = browser.new_context()
                context.add_cookies(
                    [{"name": session_cookie[0], "value": session_cookie[1], "url": server_url}]
                )
                page = context.new_page()
                requests = []
                page.on("request", lambda request, seen=requests: seen.append(request))
                response = page.goto(server_url + path, wait_until="load")
                page.wait_for_load_state("networkidle")
                assert response is not None and response.status == 200, (name, response)
                assert page.url == server_url + path, (name, page.url)  # no redirect
                html = static = beacon = 0
                other = []
                for request in requests:
                    url_path = re.sub(r"^https?://[^/]+", "", request.url)
                    if request.resource_type == "document":
                        html += 1
                    elif url_path.startswith("/static/"):
                        static += 1
                    elif request.resource_type == "ping" or url_path.endswith("/metrics/beacon/"):
                        beacon += 1  # sendBeacon page-view analytics, after render
                    else:
                        other.append(f"{request.method} {url_path} ({request.resource_type})")
                results[name] = {
                    "html": html,
                    "static": static,
                    "beacon": beacon,
                    "other": other,
                    "static_urls": sorted(
                        re.sub(r"^https?://[^/]+", "", r.url)
                        for r in requests
                        if "/static/" in r.url
                    ),
                }
                context.close()
        finally:
            browser.close()
    return results


def start_live_server():
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server, f"http://127.0.0.1:{server.port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30, help="timed GETs per page (default 30)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Playwright part")
    args = parser.parse_args()

    started_all = time.perf_counter()
    workdir = tempfile.mkdtemp(prefix="sm-pages-bench-")
    db_path = os.path.join(workdir, "bench.sqlite3")
    try:
        setup(db_path)
        from django.conf import settings
        from django.contrib.staticfiles import finders
        from pages_urls import MINIMAL_PATH

        small_user, large_user = load_data()
        small = signed_in_client(small_user)
        large = signed_in_client(large_user)
        setup_s = time.perf_counter() - started_all

        # 1 + 2: server time (median of interleaved in-process GETs after a warm-up).
        targets = {"minimal@10": (small, MINIMAL_PATH), "minimal@2000": (large, MINIMAL_PATH)}
        for name, path in PAGES.items():
            targets[f"{name}@10"] = (small, path)
            targets[f"{name}@2000"] = (large, path)
        times = time_pages(targets, args.reps)
        med = {k: statistics.median(v) for k, v in times.items()}
        low = {k: min(v) for k, v in times.items()}

        # 3: queries per page (after the timing rounds: every cache is as warm as a server's).
        queries = {
            (name, n): count_queries(client, path)
            for name, path in {"minimal": MINIMAL_PATH, **PAGES}.items()
            for n, client in ((SMALL, small), (LARGE, large))
        }

        # 4: weight at 2,000 teams.
        html_pages = {name: large.get(path).content for name, path in PAGES.items()}
        html_gz = {name: gz(body) for name, body in html_pages.items()}
        asset_names = assets_loaded([b.decode() for b in html_pages.values()])
        asset_gz = {}
        for asset in asset_names:
            found = finders.find(asset)
            asset_gz[asset] = gz(Path(found).read_bytes()) if found else None

        # 5: first render in Chromium, as the 2,000-team veteran.
        network = None
        from tests.chromium import CHROMIUM_PATH as chromium

        browser_missing = not os.access(chromium, os.X_OK)
        if not args.no_browser and not browser_missing:
            server, server_url = start_live_server()
            try:
                network = first_render_requests(
                    chromium, server_url, (settings.SESSION_COOKIE_NAME, large.session.session_key)
                )
            finally:
                server.terminate()

        rows: list[tuple[str, str, str, str]] = []

        def row(measure: str, value: str, bar: str, ok: bool | None) -> None:
            rows.append((measure, value, bar, "-" if ok is None else ("PASS" if ok else "FAIL")))

        def ratio(a: str, b: str) -> tuple[float, str]:
            r = med[a] / med[b]
            return r, (
                f"{r:.2f}x (median {med[a]:.1f} / {med[b]:.1f} ms; min {low[a] / low[b]:.2f}x)"
            )

        r, text = ratio("select-care-team@2000", "select-care-team@10")
        row("1 time select-care-team 2,000 / 10 teams", text, f"<= {TIME_BAR:g}x", r <= TIME_BAR)
        for n in (SMALL, LARGE):
            for name in PAGES:
                r, text = ratio(f"{name}@{n}", f"minimal@{n}")
                row(
                    f"2 time {name} / minimal, {n:,} teams",
                    text,
                    f"<= {TIME_BAR:g}x",
                    r <= TIME_BAR,
                )
        for name in ("minimal", *PAGES):
            a, b = queries[(name, SMALL)], queries[(name, LARGE)]
            row(
                f"3 queries {name}, 10 / 2,000 teams",
                f"{a} / {b}",
                "same" if name != "minimal" else "(reference)",
                None if name == "minimal" else a == b,
            )
        for name in PAGES:
            row(
                f"4 HTML gzip {name}, 2,000 teams",
                f"{html_gz[name]:,} B ({len(html_pages[name]):,} raw)",
                f"<= {HTML_BAR:,} B",
                html_gz[name] <= HTML_BAR,
            )
        total = sum(v or 0 for v in asset_gz.values())
        missing = [a for a, v in asset_gz.items() if v is None]
        row(
            "4 CSS + JS gzip (" + " + ".join(asset_names) + ")",
            f"{total:,} B ("
            + ", ".join(f"{a} {v:,}" for a, v in asset_gz.items() if v is not None)
            + (f"; MISSING {missing}" if missing else "")
            + ")",
            f"<= {ASSETS_BAR:,} B",
            total <= ASSETS_BAR and not missing,
        )
        if network is not None:
            for name, seen in network.items():
                ok = seen["html"] == 1 and seen["static"] <= MAX_STATIC and not seen["other"]
                value = f"{seen['html']} HTML + {seen['static']} static, {len(seen['other'])} API"
                if seen["beacon"]:
                    value += f" (+{seen['beacon']} page-view beacon)"
                if seen["other"]:
                    value += ": " + ", ".join(seen["other"])
                row(
                    f"5 requests {name}, first render",
                    value,
                    f"1 HTML + <= {MAX_STATIC}, 0 API",
                    ok,
                )
        elif browser_missing and not args.no_browser:
            rows.append(
                (
                    "5 requests, first render",
                    f"not measured: no Chromium at {chromium} (bash .ci/ensure-chromium)",
                    f"1 HTML + <= {MAX_STATIC}, 0 API",
                    "SKIP",
                )
            )

        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        header = ("measure", "value", "bar", "result")
        widths = [max(w, len(h)) for w, h in zip(widths, header, strict=False)]
        line = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
        print(line.format(*header))
        print(line.format(*("-" * w for w in widths), "------"))
        for r in rows:
            print(line.format(*r))
        failed = sum(r[3] == "FAIL" for r in rows)
        print(
            f"\n{sum(r[3] == 'PASS' for r in rows)} PASS, {failed} FAIL. Times: median of {args.reps} "
            f"interleaved GETs per page (test client, DEBUG off, SQLite in {workdir})."
        )
        if network is not None:
            print(
                "Requests: Chromium, a fresh context (empty cache) per page, until network idle, "
                "2,000-team veteran, live server with Django's static files handler. Static files:"
            )
            for name, seen in network.items():
                print(
                    f"  {name}: "
                    + ", ".join(u.removeprefix("/static/") for u in seen["static_urls"])
                )
        print(f"Setup {setup_s:.1f} s, total {time.perf_counter() - started_all:.1f} s.")
    finally:
        for name in os.listdir(workdir):
            Path(workdir, name).unlink(missing_ok=True)
        os.rmdir(workdir)


if __name__ == "__main__":
    main()
