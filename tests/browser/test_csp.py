"""Every page in Chromium under the Content-Security-Policy, and the htmx work still working.

Each page of tests/site_pages.py is opened by the user who would open it (each user in their own
browser context). The page records every `securitypolicyviolation` event from its first script
on, and console errors and uncaught exceptions are collected too: a page passes when the browser
refused nothing and nothing broke. A control shows the listener hears a refusal. Then htmx
requests under the policy: a keyboard relabel on the document page, the layer select and the
BIO-tag box (no onchange attributes any more), a decision on the adjudication page, and a
request sent from Swagger UI's "Try it out" on its own, looser policy.
"""

from __future__ import annotations

import re

import pytest

from annotator.models import SentenceTags
from tests.browser.conftest import CHROMIUM
from tests.browser.helpers import sign_in
from tests.site_pages import filled_project, site_pages

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

# Runs before any script of the page: keeps what the browser refused, with the directive.
LISTEN = """
window.refused = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.refused.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def site(transactional_db, no_broker):
    corpus, report = filled_project("CSP in the browser")
    return corpus, site_pages(corpus, report)


class Watched:
    """A user's browser context whose pages report refusals, console errors and exceptions."""

    def __init__(self, browser, base_url: str, user):
        self.context = browser.new_context(base_url=base_url, accept_downloads=True)
        self.context.add_init_script(LISTEN)
        if user is not None:
            sign_in(self.context, base_url, user)
        self.errors: list[str] = []
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"exception: {error}"))
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        # A failed load is reported with its address by _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def _response(self, response) -> None:
        # Chromium asks for /favicon.ico on its own; the site has none.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def problems(self) -> list[str]:
        return [*self.page.evaluate("window.refused"), *self.errors]

    def clear(self) -> None:
        self.errors.clear()
        self.page.evaluate("window.refused = []")


@pytest.fixture
def watched(browser, live_server):
    contexts: dict[object, Watched] = {}

    def open_as(user) -> Watched:
        if user not in contexts:
            contexts[user] = Watched(browser, live_server.url, user)
        return contexts[user]

    yield open_as
    for each in contexts.values():
        each.context.close()


def test_every_page_opens_without_a_policy_violation(site, watched) -> None:
    _, pages = site
    problems = {}
    for page in pages:
        tab = watched(page.user)
        response = tab.page.goto(page.url, wait_until="networkidle")
        assert response.status == 200, (page.name, response.status)
        assert "Content-Security-Policy" in response.headers or "content-security-policy" in {
            name.lower() for name in response.headers
        }
        if page.name == "API docs":  # Swagger UI drew the API: its scripts ran
            expect(tab.page.locator(".swagger-ui .info .title")).to_be_visible()
            expect(tab.page.locator(".opblock").first).to_be_visible()
        found = tab.problems()
        if found:
            problems[page.name] = found
        tab.clear()
    assert not problems, problems


def test_the_browser_refuses_inline_script_and_style_and_the_test_hears_it(site, watched) -> None:
    corpus, _ = site
    tab = watched(corpus.reviewer)
    tab.page.goto(f"/projects/{corpus.project.pk}/", wait_until="networkidle")
    tab.page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.inlineRan = true";
        document.body.append(script);
        document.querySelector("h1").setAttribute("style", "color: red");
      }"""
    )
    expect(tab.page.locator("h1")).not_to_have_css("color", "rgb(255, 0, 0)")
    assert tab.page.evaluate("window.inlineRan") is None
    refused = tab.page.evaluate("window.refused")
    assert any(line.startswith("script-src") for line in refused), refused
    assert any(line.startswith("style-src") for line in refused), refused


def test_htmx_edits_and_page_controls_work_under_the_policy(site, watched) -> None:
    corpus, _ = site
    document = corpus.document
    tab = watched(corpus.reviewer)
    page = tab.page

    # A keyboard relabel on gold: an htmx POST (CSRF header) whose answer is swapped in.
    page.goto(f"/documents/{document.pk}/?layer=gold")
    first = SentenceTags.objects.filter(layer__document=document, layer__name="gold")
    row = first.order_by("sentence__position").first()
    article = page.locator(f"#sentence-{row.sentence_id}")
    version = int(article.get_attribute("data-version"))
    key = page.locator(".palette [data-label=Library] kbd").inner_text().strip()
    page.keyboard.press("j")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press(key)
    expect(article).to_have_attribute("data-version", str(version + 1))
    row.refresh_from_db()
    assert row.tags[0] == "B-Library"

    # The layer select and the BIO-tag box reload the page without inline handlers.
    page.get_by_label("Show BIO tags").check()
    page.wait_for_url(re.compile(r"raw=1"))
    page.locator("select[name=layer]").select_option("annotator ann2")
    page.wait_for_url(re.compile(r"layer=annotator\+ann2"))
    expect(page.locator("select[name=layer]")).to_have_value("annotator ann2")

    # A decision on the adjudication page: an htmx form swapped in place.
    page.goto(f"/documents/{document.pk}/adjudicate/")
    article = page.locator("article.adjudicated").first
    article_id = article.get_attribute("id")
    page.evaluate("window.stillTheSamePage = true")
    article.locator("form.dispute").first.locator("button[value^='reading-']").first.click()
    swapped = page.locator(f"#{article_id} form.dispute").first
    expect(swapped).to_have_class(re.compile(r"\bdecided\b"))
    assert page.evaluate("window.stillTheSamePage") is True

    assert not tab.problems()


def test_swagger_ui_sends_a_request_under_its_policy(site, watched) -> None:
    corpus, _ = site
    tab = watched(corpus.manager)
    page = tab.page
    page.goto("/api/docs/", wait_until="networkidle")
    operation = page.locator(".opblock-get", has=page.locator("[data-path='/api/v1/projects/']"))
    operation.first.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    answer = page.locator(".live-responses-table .response .response-col_status").first
    expect(answer).to_have_text("200")
    expect(page.locator(".live-responses-table").first).to_contain_text(corpus.project.name)
    assert not tab.problems()
