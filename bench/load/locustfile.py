"""Simulated veterans for `make load` and `make drills` (run by bench/load/run.py, drills.py).

WebVeteran: signs in through the real sign-in form, then walks, again and again, the way a
browser without JavaScript would:
    Inbox -> "Start a new message" (interstitial) -> "Continue to start message"
    -> recent care teams ("A different care team") -> select care team (system + team)
    -> start message (category, a unique subject, body; "Save draft" first in some walks)
    -> Send -> the Inbox with "Message sent".
On recent care teams it always picks "A different care team", so every walk goes through
select care team (two or three care systems as radio buttons, a team of the chosen one).
It follows whatever page the server answers with, like a person would: the legacy compose
page when the curated flag is off (also when a rollback lands while typing: the text must be
there, else that counts as lost), "try again" answered to a send by sending the same form
again (same idempotency key), anything else by starting again from the Inbox.

Think time: 1-3 s on each page, 3-6 s typing the message, 1-3 s reading the Inbox. A walk
therefore takes at least 8 s, so a veteran sends at most 7.5 messages a minute (the send
rate limit, SM_SEND_RATE, is 10/m) and saves far fewer than 60 drafts a minute.

The production profile is left as it is: every request says X-Forwarded-Proto: https (the
settings trust it), POSTs carry Origin/Referer https://127.0.0.1:PORT for CSRF, and the
cookies (all Secure) are kept here and sent by hand, since requests will not send Secure
cookies over http. Like a browser, a request that fails on a reused keep-alive connection
the server has just closed is sent once more on a new connection (recorded, and left out
of the error count).

Every request is written to LOAD_EVENTS (time, page, status, title, the interstitial's
kind, the client port of its connection) and every step of a walk to LOAD_RECORDS (signed
in, draft saved, send posted, "Message sent" seen ...): run.py and drills.py judge those.

Environment (set by run.py / drills.py): LOAD_ORIGIN, LOAD_ACCOUNTS, LOAD_EVENTS,
LOAD_RECORDS, LOAD_RUN, LOAD_STOP_FILE, LOAD_DRAFT_SHARE, LOAD_API_USERS.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import gevent
import gevent.event
import gevent.local
import urllib3.connection
from locust import HttpUser, between, events, task
from locust.exception import StopUser

BASE = "/my-health/secure-messages"
API = "/my_health/v1/messaging"
ORIGIN = os.environ.get("LOAD_ORIGIN", "https://127.0.0.1:8000")
ACCOUNTS = json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text())
RUN = os.environ.get("LOAD_RUN", "0000")
STOP_FILE = os.environ.get("LOAD_STOP_FILE", "")
DRAFT_SHARE = float(os.environ.get("LOAD_DRAFT_SHARE", "0.3"))
API_USERS = int(os.environ.get("LOAD_API_USERS", "0"))
# Everyone signs in first (a storm of password hashing that is not the flow's load); the
# walking starts together once all LOAD_USERS are in, and lasts LOAD_SECONDS (0: until
# LOAD_STOP_FILE appears). Then each veteran finishes the walk they are in and stops.
LOAD_USERS = int(os.environ.get("LOAD_USERS", "0"))
WALK_SECONDS = float(os.environ.get("LOAD_SECONDS", "0"))
SEND_RETRY_BACKOFF = (3, 5, 8, 13)  # seconds before each new try of a send that got 5xx

_events = open(os.environ["LOAD_EVENTS"], "a", buffering=1)  # noqa: SIM115 - whole run
_records = open(os.environ["LOAD_RECORDS"], "a", buffering=1)  # noqa: SIM115 - whole run
_accounts = itertools.count()
_stopping = False
_all_in = gevent.event.Event()
_signed_in = 0
_walk_start = 0.0
_walk_end = float("inf")

# The client port of the connection each request went out on (drills.py tells which
# gunicorn worker owned that connection from /proc, so each answer has its worker).
_connection = gevent.local.local()
_urllib3_request = urllib3.connection.HTTPConnection.request


def _request_remembering_port(self, *args, **kwargs):
    _connection.reused = self.sock is not None  # a kept-alive connection, used before
    try:
        _connection.port = self.sock.getsockname()[1] if self.sock else None
    except OSError:
        _connection.port = None
    result = _urllib3_request(self, *args, **kwargs)
    if getattr(_connection, "port", None) is None and self.sock:
        _connection.port = self.sock.getsockname()[1]
    return result


urllib3.connection.HTTPConnection.request = _request_remembering_port

PAGES = {
    "/sign-in/": "sign-in",
    f"{BASE}/inbox/": "inbox",
    f"{BASE}/new-message/": "interstitial",
    f"{BASE}/new-message/continue/": "continue",
    f"{BASE}/new-message/recent/": "recent",
    f"{BASE}/new-message/select-care-team/": "select-care-team",
    f"{BASE}/new-message/start-message/": "start-message",
    f"{API}/token": "api token",
    f"{API}/folders": "api folders",
    f"{API}/allrecipients": "api allrecipients",
}


def record(kind: str, user: str, **fields) -> None:
    _records.write(json.dumps({"t": time.time(), "kind": kind, "user": user, **fields}) + "\n")


def _interstitial_kind(text: str) -> str | None:
    """curated: the interstitial's "Continue" is a link (curated flag on); legacy: it is a
    form button, or /new-message/ already shows the legacy compose page (flag off)."""
    if "Only use messages for non-urgent needs" in text:
        if 'class="sm-action-link"' in text:
            return "curated"
        if 'action="/my-health/secure-messages/new-message/continue/"' in text:
            return "legacy"
    if '<h1 tabindex="-1">Start a new message</h1>' in text:
        return "legacy"
    return None


@events.request.add_listener
def _log_request(
    request_type, name, response_time, response_length, response=None, exception=None, **kw
):
    status = getattr(response, "status_code", 0) or 0
    ctype = (response.headers.get("Content-Type", "") if response is not None else "") or ""
    text = ""
    if response is not None and response.content:
        text = response.content[:200_000].decode("utf-8", "replace")
    title = ""
    if "<title>" in text:
        title = text.split("<title>", 1)[1].split("</title>", 1)[0].strip()
    h1 = ""
    if "<h1" in text:
        h1 = text.split("<h1", 1)[1].split(">", 1)[1].split("</h1>", 1)[0].strip()
    url = kw.get("url") or ""
    req = getattr(response, "request", None)
    event = {
        "t": kw.get("start_time") or time.time() - response_time / 1000,
        "ms": round(response_time, 1),
        "name": name,
        "path": urlsplit(url).path,
        "status": status,
        "rid": req.headers.get("X-Request-ID") if req is not None else None,
        "ctype": ctype.split(";")[0],
        "title": title[:120],
        "h1": h1[:120],
        "traceback": "Traceback" in text or "Server Error (500)" in text,
        "try_again": "try again" in text.lower(),
        "exc": None,
        "fail": None,
        "port": getattr(_connection, "port", None),
        "reused": getattr(_connection, "reused", False),
    }
    _connection.port = None
    error = getattr(response, "error", None)
    if status == 0 and (error or exception) is not None:
        error = error or exception
        event["exc"] = f"{type(error).__name__}: {error}"[:200]
    elif exception is not None:
        event["fail"] = str(exception)[:200]
    if ctype.startswith("application/json"):
        event["json"] = text[:300]
    if event["path"] == f"{BASE}/new-message/" and request_type == "GET":
        event["interstitial"] = _interstitial_kind(text)
    _events.write(json.dumps(event) + "\n")


def arrived() -> None:
    """A user has signed in: wait for the others, then start walking together (staggered
    over 3 s, as people do)."""
    global _signed_in, _walk_start, _walk_end
    _signed_in += 1
    if _signed_in >= LOAD_USERS and not _all_in.is_set():
        _walk_start = time.time() + 1
        _walk_end = _walk_start + WALK_SECONDS if WALK_SECONDS else float("inf")
        record(
            "walk_phase",
            "-",
            start=_walk_start,
            end=_walk_end if WALK_SECONDS else None,
            users=_signed_in,
        )
        _all_in.set()
    _all_in.wait(timeout=300)
    gevent.sleep(max(0.0, _walk_start - time.time()) + random.uniform(0, 3))


def finished() -> bool:
    return _stopping or time.time() >= _walk_end


@events.init.add_listener
def _watch_the_end(environment, **_kw):
    """The walking time is up, or drills.py created LOAD_STOP_FILE: every veteran finishes
    the walk they are in and stops; then locust quits."""

    def watch():
        global _stopping
        while not (time.time() >= _walk_end or (STOP_FILE and os.path.exists(STOP_FILE))):
            gevent.sleep(0.5)
        _stopping = True
        deadline = time.time() + 90
        while environment.runner.user_count > 0 and time.time() < deadline:
            gevent.sleep(0.5)
        environment.runner.quit()

    gevent.spawn(watch)


# --- a browser, as far as the flow needs one ----------------------------------------------


class PageParser(HTMLParser):
    """Forms (inputs, selects with their options), links, title and H1 of a page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[dict] = []
        self.signature_ids: set[str] = set()
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if "data-sm-signature-for" in a:
            self.signature_ids.update(a["data-sm-signature-for"].split())
        if tag == "form":
            self._form = {"attrs": a, "inputs": [], "selects": {}, "selected": {}, "textareas": {}}
            self.forms.append(self._form)
        elif tag == "a":
            self.links.append(a)
        elif self._form is None:
            return
        elif tag in ("input", "button"):
            self._form["inputs"].append({"tag": tag, **a})
        elif tag == "select":
            self._select = a.get("name", "")
            self._form["selects"][self._select] = []
        elif tag == "option" and self._select is not None:
            self._form["selects"][self._select].append(a.get("value", ""))
            if "selected" in a:
                self._form["selected"][self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name", "")
            self._form["textareas"][self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None and self._form is not None:
            self._form["textareas"][self._textarea] += data

    def form(self, **match) -> dict | None:
        for f in self.forms:
            if all(f["attrs"].get(k) == v for k, v in match.items()):
                return f
        return None

    @staticmethod
    def hidden(form: dict) -> dict[str, str]:
        return {
            i["name"]: i.get("value", "")
            for i in form["inputs"]
            if i["tag"] == "input" and i.get("type") == "hidden" and i.get("name")
        }

    @staticmethod
    def value(form: dict, name: str) -> str | None:
        if name in form["textareas"]:
            return form["textareas"][name].removeprefix("\n").replace("\r\n", "\n")
        if name in form["selects"]:
            return form["selected"].get(name)
        return next((i.get("value", "") for i in form["inputs"] if i.get("name") == name), None)

    @staticmethod
    def radios(form: dict, name: str) -> list[str]:
        return [
            i.get("value", "")
            for i in form["inputs"]
            if i["tag"] == "input" and i.get("type") == "radio" and i.get("name") == name
        ]


class Abort(Exception):
    """The walk cannot go on (an error page, an unexpected page): start again later."""


class Browser:
    """Follows redirects like a browser and carries the site's Secure cookies itself."""

    def __init__(self, client):
        self.client = client
        self.jar: dict[str, str] = {}
        self.path = "/"
        self.text = ""
        self.status = 0

    def _store_cookies(self, response) -> None:
        raw = getattr(response, "raw", None)
        headers = raw.headers.getlist("Set-Cookie") if raw is not None else []
        for header in headers:
            cookie = SimpleCookie()
            try:
                cookie.load(header)
            except CookieError:
                continue
            for key, morsel in cookie.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.jar.pop(key, None)
                else:
                    self.jar[key] = morsel.coded_value  # sent back as received

    def request(self, method: str, path: str, *, data=None, name=None, referer=None, extra=None):
        """One navigation: the request and every redirect after it. Returns the last
        response; self.path/self.text describe the page the browser shows now."""
        hops = 0
        resent = False
        while True:
            _connection.reused = False
            headers = {
                "X-Forwarded-Proto": "https",
                "X-Request-ID": uuid.uuid4().hex,
                "Accept": "text/html,application/xhtml+xml",
                **(extra or {}),
            }
            if self.jar:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
            if referer:
                headers["Referer"] = referer
            if method == "POST":
                headers["Origin"] = ORIGIN
            label = name or f"{method} {PAGES.get(path.split('?')[0], path.split('?')[0])}"
            with self.client.request(
                method,
                path,
                data=data,
                headers=headers,
                name=label,
                allow_redirects=False,
                catch_response=True,
            ) as response:
                self.client.cookies.clear()  # the jar above is the only one
                self._store_cookies(response)
                if response.status_code == 0 or response.status_code >= 400:
                    response.failure(f"HTTP {response.status_code}")
                else:
                    response.success()
            self.status = response.status_code
            if response.status_code == 0 and _connection.reused and not resent:
                # The server closed the kept-alive connection (gunicorn keepalive = 5 s) just
                # as this request went out on it. Browsers send the request again on a new
                # connection when a reused one fails before any answer; so do we, once.
                record("keepalive_resend", "-", rid=headers["X-Request-ID"], name=label)
                resent = True
                continue
            if response.status_code in (301, 302, 303, 307, 308) and hops < 10:
                location = urlsplit(response.headers.get("Location", "/"))
                path = location.path + (f"?{location.query}" if location.query else "")
                if response.status_code in (301, 302, 303):
                    method, data = "GET", None
                name, hops = None, hops + 1
                continue
            self.path = path.split("?")[0]
            self.text = response.text if response.content else ""
            return response

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, **kw):
        return self.request("POST", path, data=data, referer=ORIGIN + self.path, **kw)

    def page(self) -> PageParser:
        return PageParser(self.text)


def think(low: float = 1.0, high: float = 3.0) -> None:
    gevent.sleep(random.uniform(low, high))


def next_account() -> dict:
    index = next(_accounts)
    if index >= len(ACCOUNTS):
        raise StopUser()
    return ACCOUNTS[index]


# --- the veterans ---------------------------------------------------------------------------


class WebVeteran(HttpUser):
    wait_time = between(1, 3)  # reading the Inbox before the next message

    def on_start(self):
        self.account = next_account()
        self.username = self.account["username"]
        self.number = int(self.username.rsplit(".", 1)[1])
        self.browser = Browser(self.client)
        self.sequence = 0
        self.on_inbox = False
        self.sign_in()
        arrived()

    def sign_in(self) -> None:
        b = self.browser
        while True:
            if _stopping:
                raise StopUser()
            b.jar.clear()
            b.get("/sign-in/")
            form = b.page().form(action="/sign-in/")
            if b.status == 200 and form is not None:
                data = {
                    **PageParser.hidden(form),
                    "username": self.username,
                    "password": self.account["password"],
                }
                b.post("/sign-in/", data)
                if b.status == 200 and b.path == f"{BASE}/inbox/":
                    record("signed_in", self.username)
                    self.on_inbox = True
                    return
            record("sign_in_failed", self.username, status=b.status, path=b.path)
            think(2, 4)

    @task
    def walk(self) -> None:
        if finished():
            raise StopUser()
        try:
            self._walk()
            record("walk_done", self.username)
        except Abort as exc:
            record("abort", self.username, reason=str(exc)[:200])
            self.on_inbox = False  # the next walk starts again from the Inbox
            if self.browser.path == "/sign-in/":
                self.sign_in()

    def _expect_ok(self, what: str) -> None:
        b = self.browser
        if b.status != 200:
            raise Abort(f"{what}: HTTP {b.status} at {b.path}")

    def _walk(self) -> None:
        b = self.browser
        if not self.on_inbox:
            b.get(f"{BASE}/inbox/")
            self._expect_ok("inbox")
        self.on_inbox = False
        think()
        b.get(f"{BASE}/new-message/?from=inbox", referer=ORIGIN + f"{BASE}/inbox/")
        self._expect_ok("interstitial")
        for _step in range(8):
            self._expect_ok(b.path)
            page = b.page()
            kind = _interstitial_kind(b.text) if b.path == f"{BASE}/new-message/" else None
            if (
                b.path == f"{BASE}/new-message/"
                and kind == "legacy"
                and page.form(id="compose-form")
            ):
                return self._compose(page, legacy=True)
            if b.path == f"{BASE}/new-message/":
                think()
                link = next((a for a in page.links if a.get("class") == "sm-action-link"), None)
                form = page.form(action=f"{BASE}/new-message/continue/")
                if link is not None:
                    b.get(link["href"], referer=ORIGIN + b.path)
                elif form is not None:
                    b.post(
                        form["attrs"]["action"],
                        PageParser.hidden(form),
                        name="POST continue (legacy)",
                    )
                else:
                    raise Abort("interstitial without a way to continue")
            elif b.path == f"{BASE}/new-message/recent/":
                think()
                form = next((f for f in page.forms if PageParser.radios(f, "recipient")), None)
                if form is None or "other" not in PageParser.radios(form, "recipient"):
                    raise Abort("recent care teams without 'A different care team'")
                b.post(b.path, {**PageParser.hidden(form), "recipient": "other"})
            elif b.path == f"{BASE}/new-message/select-care-team/":
                think()
                self._select_team(page)
            elif b.path == f"{BASE}/new-message/start-message/":
                return self._compose(page, legacy=False)
            else:
                raise Abort(f"unexpected page {b.path}")
        raise Abort("too many steps")

    def _select_team(self, page: PageParser) -> None:
        form = next((f for f in page.forms if "care_team" in f["selects"]), None)
        if form is None:
            raise Abort("select care team without its form")
        hidden = PageParser.hidden(form)
        systems = PageParser.radios(form, "care_system") or [
            v for v in form["selects"].get("care_system", []) if v
        ]
        if "care_system" in hidden:
            systems = [hidden["care_system"]]
        systems = [s for s in systems if s in self.account["teams"]]
        if not systems:
            raise Abort("none of the veteran's care systems is offered")
        system = random.choice(systems)
        data = {
            **hidden,
            "care_system": system,
            "care_team": str(random.choice(self.account["teams"][system])),
            "action": "continue",
        }
        self.browser.post(self.browser.path, data)

    def _compose(self, page: PageParser, *, legacy: bool) -> None:
        b = self.browser
        form = page.form(id="compose-form")
        if form is None:
            raise Abort("compose page without its form")
        self.sequence += 1
        subject = f"LD{RUN} {self.number:02d}-{self.sequence:04d}"
        data = {
            **PageParser.hidden(form),
            "category": random.choice([c for c in form["selects"].get("category", []) if c]),
            "subject": subject,
            "body": f"Hello, this is load veteran {self.number}. Message {self.sequence}: "
            "I have a question about my prescription refill. Thank you.",
        }
        if legacy:
            data["recipient"] = self._legacy_recipient(page, form)
        self.legacy = legacy
        think(3, 6)  # typing
        if random.random() < DRAFT_SHARE:
            record("draft_attempt", self.username, subject=subject)
            self._post_compose(data, "save-draft")
            if b.status == 200 and b.path != f"{BASE}/inbox/" and self._carried(data):
                self._post_compose(data, "save-draft")  # the same click, on the legacy page
            self._expect_ok("save draft")
            if "Your message was saved on" not in b.text:
                raise Abort(f"save draft: no 'saved' status at {b.path}")
            record("draft_saved", self.username, subject=subject)
            fresh = b.page().form(id="compose-form")
            if fresh is not None:
                data.update(PageParser.hidden(fresh))
            think()
        record("send_attempt", self.username, subject=subject, key=data.get("idempotency_key"))
        backoffs = iter(SEND_RETRY_BACKOFF)
        tries = 0
        while True:
            tries += 1
            response = self._post_compose(data, "send")
            if b.path == f"{BASE}/inbox/":
                if b.status == 200 and "Message sent" in b.text:
                    record("sent", self.username, subject=subject, tries=tries)
                    self.on_inbox = True
                    return
                # The server answered 302 to the Inbox (it only does that once the message
                # is stored) but the Inbox itself failed to render.
                record("send_redirected", self.username, subject=subject, status=b.status)
                raise Abort(f"inbox after send: HTTP {b.status}")
            if b.status == 200 and self._carried(data):
                record(
                    "send_attempt", self.username, subject=subject, key=data.get("idempotency_key")
                )
                continue  # Send again, on the legacy compose page the text was carried to
            backoff = next(backoffs, None)
            if response.status_code not in (0, 502, 503, 504) or backoff is None:
                record("send_failed", self.username, subject=subject, status=b.status)
                raise Abort(f"send: HTTP {b.status} at {b.path}")
            gevent.sleep(backoff)  # "try again": the same form, the same idempotency key

    def _post_compose(self, data: dict, action: str):
        suffix = " (legacy)" if self.legacy else ""
        label = "POST send" if action == "send" else "POST save-draft"
        path = f"{BASE}/new-message/" if self.legacy else f"{BASE}/new-message/start-message/"
        return self.browser.request(
            "POST",
            path,
            data={**data, "action": action},
            name=label + suffix,
            referer=ORIGIN + path,
        )

    def _carried(self, data: dict) -> bool:
        """The curated flag was rolled back while this veteran typed: the answer is the
        legacy compose page. True when it holds everything typed (then `data` is ready to
        send there); a page that lost the text is a failure of its own."""
        b = self.browser
        if self.legacy or b.path != f"{BASE}/new-message/":
            return False
        page = b.page()
        form = page.form(id="compose-form")
        if form is None:
            return False
        kept = {k: PageParser.value(form, k) for k in ("subject", "body")}
        if kept["subject"] != data["subject"] or (kept["body"] or "").strip() != data["body"]:
            record("text_lost", self.username, subject=data["subject"], kept=kept)
            raise Abort("rolled back to legacy compose without the text typed")
        record("carried", self.username, subject=data["subject"])
        self.legacy = True
        data.update(PageParser.hidden(form))
        data["recipient"] = PageParser.value(form, "recipient") or self._legacy_recipient(
            page, form
        )
        return True

    def _legacy_recipient(self, page: PageParser, form: dict) -> str:
        mine = {str(t) for teams in self.account["teams"].values() for t in teams}
        offered = [
            v
            for v in form["selects"].get("recipient", [])
            if v in mine and v not in page.signature_ids
        ]
        if not offered:
            raise Abort("legacy compose offers none of the veteran's teams")
        return random.choice(offered)


class ApiVeteran(HttpUser):
    """A VA mobile app client: token auth, reads its folders and recipients (drills only)."""

    fixed_count = API_USERS
    wait_time = between(1, 2)

    def on_start(self):
        self.account = next_account()
        self.token = None
        while self.token is None:
            if _stopping:
                raise StopUser()
            with self.client.post(
                f"{API}/token",
                data={"username": self.account["username"], "password": self.account["password"]},
                headers={"X-Forwarded-Proto": "https", "X-Request-ID": uuid.uuid4().hex},
                name="POST api token",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    self.token = response.json().get("token")
                    response.success()
                else:
                    response.failure(f"HTTP {response.status_code}")
            if self.token is None:
                think(2, 4)
        arrived()

    @task
    def read(self):
        if finished():
            raise StopUser()
        path = random.choice([f"{API}/folders", f"{API}/allrecipients"])
        with self.client.get(
            path,
            headers={
                "X-Forwarded-Proto": "https",
                "Authorization": f"Token {self.token}",
                "X-Request-ID": uuid.uuid4().hex,
                "Accept": "application/json",
            },
            name=f"GET {PAGES[path]}",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 0 or response.status_code >= 400:
                response.failure(f"HTTP {response.status_code}")
            else:
                response.success()
