"""The pages are behind Airflow login, carry a strict Content-Security-Policy, and their code never turns
text into HTML (no inline scripts or styles, no innerHTML)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from openfn.ui import EXTERNAL_VIEW
from openfn.ui.csrf import token_for
from openfn.ui.pages import CSP, STATIC

PAGES = ["/openfn/ui/", "/openfn/ui/receipt?id=x", "/openfn/ui/projects", "/openfn/ui/collections"]


@pytest.mark.parametrize("path", PAGES)
def test_page_without_login_redirects_to_airflow_login(ui, path):
    reply = ui.http.get(path)
    assert reply.status_code == 307
    assert reply.headers["location"].startswith("/auth/login?next=http%3A%2F%2Fairflow.test%2Fopenfn%2Fui%2F")


@pytest.mark.parametrize("path", PAGES)
def test_page_with_login_has_the_security_headers(ui, path):
    ui.log_in_browser()
    reply = ui.http.get(path)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-security-policy"] == CSP
    assert {k: reply.headers[k] for k in ("x-content-type-options", "cache-control", "referrer-policy")} == {
        "x-content-type-options": "nosniff", "cache-control": "no-store", "referrer-policy": "same-origin"}  # fmt: skip


def test_csp_allows_only_this_origin_and_no_inline_code():
    assert CSP == ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                   "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")  # fmt: skip


def test_session_needs_login_and_gives_the_token_of_the_cookie(ui):
    assert ui.http.get("/openfn/ui/api/session").status_code == 401
    ui.log_in_browser()
    assert ui.http.get("/openfn/ui/api/session").json() == {"user": "admin", "csrf_token": token_for(ui.jwt())}


@pytest.mark.parametrize(("name", "kind"), [("inbox.js", "text/javascript"), ("openfn.css", "text/css"), ("icon.svg", "image/svg+xml")])
def test_static_files_are_served_with_their_type(ui, name, kind):
    reply = ui.http.get(f"/openfn/ui/static/{name}")
    assert (reply.status_code, reply.headers["content-type"]) == (200, f"{kind}; charset=utf-8")
    assert reply.content == (STATIC / name).read_bytes()


@pytest.mark.parametrize("name", ["missing.js", "..%2Fpages.py", ".hidden.css", "inbox.html"])
def test_other_files_are_not_served(ui, name):
    reply = ui.http.get(f"/openfn/ui/static/{name}")
    assert reply.status_code == 404, name


def test_nav_entry_points_at_the_pages():
    assert EXTERNAL_VIEW["name"] == "OpenFn Inbox"
    assert (EXTERNAL_VIEW["href"], EXTERNAL_VIEW["url_route"], EXTERNAL_VIEW["destination"]) == ("/openfn/ui/", "openfn-inbox", "nav")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style" or "style" in names:
            self.problems.append(f"inline style on <{tag}>")
        self.problems += [f"{name} handler on <{tag}>" for name in names if name.startswith("on")]


@pytest.mark.parametrize("page", sorted(p.name for p in STATIC.glob("*.html")))
def test_html_has_no_inline_script_style_or_handlers(page):
    parser = _Tags()
    parser.feed((STATIC / page).read_text())
    assert parser.problems == []


@pytest.mark.parametrize("script", sorted(p.name for p in STATIC.glob("*.js")))
def test_scripts_never_parse_text_as_html(script):
    text = Path(STATIC / script).read_text()
    assert re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function", text) == []
