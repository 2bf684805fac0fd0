"""axe-core in Chromium: no critical or serious accessibility violation on the pages people work in.

axe-core is vendored from npm into static/ (`make vendor`) and loaded from the site itself, so
it runs under the page's own Content-Security-Policy. Each page is opened by the user who would
open it (tests/site_pages.py: the project list, project, document, compare, adjudicate,
agreement, task, queue, dashboard, jobs, settings pages and more) and checked with axe's default
rules (WCAG 2.x A and AA, and its best practices); a failure lists each violation found.
"""

from __future__ import annotations

import pytest
from django.templatetags.static import static

from tests.browser.conftest import CHROMIUM
from tests.browser.test_csp import site, watched  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing"),
]

expect = pytest.importorskip("playwright.sync_api").expect

AXE = static("annotator/vendor/axe-4.14.1.min.js")
# Not checked: Swagger UI's page (not ours) and the history fragment (not a page: the document
# page shows it inside itself, and is checked).
SKIPPED = {"API docs", "sentence history"}
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "critical" || v.impact === "serious")
    .map((v) => `${v.impact} ${v.id}: ${v.help} -- ` +
      v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " " + n.failureSummary).join(" | "));
}"""


def test_axe_finds_no_critical_or_serious_violation(site, watched) -> None:  # noqa: F811
    _, pages = site
    found = {}
    for page in pages:
        if page.name in SKIPPED:
            continue
        tab = watched(page.user)
        tab.page.goto(page.url, wait_until="networkidle")
        tab.page.add_script_tag(url=AXE)
        violations = tab.page.evaluate(RUN)
        if violations:
            found[page.name] = violations
    assert not found, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)


def test_axe_finds_none_in_the_help_overlay_nor_in_a_refusal_message(site, watched) -> None:  # noqa: F811
    corpus, _ = site
    tab = watched(corpus.reviewer)
    tab.page.goto(f"/documents/{corpus.document.pk}/?layer=gold", wait_until="networkidle")
    tab.page.keyboard.press("?")
    expect(tab.page.locator("dialog#help")).to_be_visible()
    tab.page.add_script_tag(url=AXE)
    assert tab.page.evaluate(RUN) == []

    manager = watched(corpus.manager).page
    manager.goto(f"/projects/{corpus.project.pk}/jobs/")
    form = manager.locator("form", has_text="Add a remote model")
    form.get_by_role("textbox", name="at", exact=True).fill("http://127.0.0.1:6379/")
    form.get_by_role("button", name="Add", exact=True).click()
    expect(manager.locator(".message.notice.error")).to_contain_text(
        "not one of this site's model servers"
    )
    manager.add_script_tag(url=AXE)
    assert manager.evaluate(RUN) == []
