"""The Content-Security-Policy: every page carries a strict one and its HTML needs nothing more.

A strict policy only protects if the pages keep to it, so besides the header these tests read
each page's HTML for what the policy would refuse (inline scripts and styles, on* attributes,
javascript: links); tests/browser/test_csp.py then opens every page in Chromium under it.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from tests.paths import ROOT
from tests.site_pages import filled_project, site_pages

TEMPLATES = ROOT / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} has no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(directives: dict[str, list[str]], *, inline_styles: bool = False) -> None:
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no inline, no eval, no other host
    assert directives["style-src"] == (
        ["'self'", "'unsafe-inline'"] if inline_styles else ["'self'"]
    )
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    everything = " ".join(v for values in directives.values() for v in values)
    assert "unsafe-eval" not in everything and "*" not in everything


class Refused(HTMLParser):
    """What a strict policy would block in a page: collected, not raised, to list them all."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.meta_config: dict | None = None
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self._in_script = True
        if tag == "meta" and attrs.get("name") == "htmx-config":
            self.meta_config = json.loads(attrs["content"])

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def refused(html: str) -> Refused:
    parser = Refused()
    parser.feed(html)
    return parser


@pytest.fixture
def site(db):
    return site_pages(*filled_project("CSP pages"))


def fetch(page) -> object:
    client = Client()
    if page.user is not None:
        client.force_login(page.user)
    response = client.get(page.url)
    assert response.status_code == 200, (page.name, response.status_code)
    return response


def test_every_page_is_served_with_a_strict_policy_and_holds_nothing_it_would_block(site) -> None:
    problems = {}
    for page in site:
        response = fetch(page)
        assert_strict(policy(response), inline_styles=page.inline_styles)
        found = refused(response.content.decode()).found
        if page.inline_styles:
            found = [problem for problem in found if "style" not in problem]
        if found:
            problems[page.name] = found
    assert not problems, problems


def test_htmx_is_configured_for_the_policy(site) -> None:
    """No eval (hx-on, js: values, trigger filters), no <style> element of its own, no scripts
    run from swapped-in HTML."""
    config = refused(fetch(site[1]).content.decode()).meta_config
    assert config is not None
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["allowScriptTags"] is False


def test_fragments_errors_and_api_answers_carry_the_policy_too(site, client) -> None:
    assert_strict(policy(client.get("/no-such-page/")))
    assert_strict(policy(client.get("/api/v1/projects/")))
    manager = site[1]
    client.force_login(manager.user)
    fragment = client.get(site[2].url, headers={"HX-Request": "true"})
    assert_strict(policy(fragment))


def test_the_api_docs_start_up_script_is_a_file_not_inline(site) -> None:
    docs = next(page for page in site if page.name == "API docs")
    html = fetch(docs).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    start_up = [src for src in scripts if "script=" in src]
    assert start_up, scripts
    client = Client()
    client.force_login(docs.user)
    script = client.get(start_up[0].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_holds_inline_script_style_or_event_handler(template: Path) -> None:
    """Also the partials no page above renders in full (a refused request's fragment...)."""
    found = refused(template.read_text(encoding="utf-8")).found
    assert not found, found
