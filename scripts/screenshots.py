"""Take the README's screenshots: the review page, the compare view and the agreement report.

Runs against a demo instance (`make run`, or any deployment with `manage.py demo`'s logins) with
Playwright and Debian's Chromium, as a manager would click through it:

    make run &                                   # http://127.0.0.1:8000, demo logins
    .venv/bin/python scripts/screenshots.py      # writes docs/screenshots/*.png

Options: --url (default http://127.0.0.1:8000), --user/--password (default the demo manager),
--out (default docs/screenshots), --chromium (default /usr/bin/chromium). The script changes
the demo a little, as a reviewer would, where a picture needs it: one gold edit so that compare
has something to show, and one agreement report (a job: a worker must run). Run again after a
change to the pages, so the README stays current.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
JOB_TIMEOUT = 180_000  # ms: the agreement job waits for the worker


def log_in(page, url: str, user: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", user)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/projects/")


def open_first_document(page) -> str:
    """Open the first project's first document; return the project page's URL."""
    page.locator("main a[href*='/projects/']").first.click()
    page.wait_for_selector("table.documents")
    project_url = page.url
    page.locator("table.documents a[href*='/documents/']").first.click()
    page.wait_for_selector("#sentences article.sentence")
    return project_url


def review_page(page, out: Path) -> None:
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("ArrowRight")
    page.screenshot(path=str(out / "review.png"))


def compare_view(page, out: Path) -> None:
    document_url = page.url.split("?")[0]
    page.goto(f"{document_url}compare/?left=imported&right=gold")
    if page.locator("article.compared").count() == 0:
        # Nothing differs yet: relabel one token of gold, as a reviewer would.
        page.goto(document_url)
        page.wait_for_selector("#sentences article.sentence")
        page.keyboard.press("j")
        key = page.locator(".palette [data-key]").nth(1).get_attribute("data-key")
        with page.expect_response(lambda r: r.url.endswith("/edit/")):
            page.keyboard.press(key)
        page.goto(f"{document_url}compare/?left=imported&right=gold")
    page.wait_for_selector("article.compared")
    page.screenshot(path=str(out / "compare.png"))


def annotate(browser, url: str, user: str, password: str, label_index: int) -> None:
    """An annotator labels a few tokens of their first task (once: a second run changes nothing
    new), so that the agreement report has disagreements to show."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        log_in(page, url, user, password)
        page.locator("main a[href*='/projects/']").first.click()
        page.get_by_role("link", name="My tasks").click()
        page.locator("table.documents a[href*='/documents/']").first.click()
        page.wait_for_selector("#sentences article.sentence")
        key = page.locator(".palette [data-key]").nth(label_index).get_attribute("data-key")
        for _ in range(3):
            page.keyboard.press("j")
            page.keyboard.press("j")
            page.keyboard.press("ArrowRight")
            with page.expect_response(lambda r: r.url.endswith("/edit/")):
                page.keyboard.press(key)
    finally:
        page.close()


def agreement_report(page, project_url: str, out: Path) -> None:
    page.goto(f"{project_url.rstrip('/')}/agreement/")
    if page.get_by_role("heading", name="Agreement of").count() == 0:
        page.get_by_label("only submitted and approved work of annotators").uncheck()
        imported = page.locator("input[name=layers][value=imported]")
        if imported.count():
            imported.check()
        page.get_by_role("button", name="Compute (a job)").click()
    # The report replaces "No agreement report yet" by itself when the job ends.
    page.get_by_role("heading", name="Agreement of").wait_for(timeout=JOB_TIMEOUT)
    page.screenshot(path=str(out / "agreement.png"), full_page=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="manager")
    parser.add_argument("--password", default="manager-demo")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--annotators",
        nargs="*",
        default=["alice:alice-demo", "bob:bob-demo"],
        help="USER:PASSWORD of annotators who label a few tokens first (none: skip)",
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    url = args.url.rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(20_000)
        try:
            for index, login in enumerate(args.annotators):
                user, _, password = login.partition(":")
                annotate(browser, url, user, password, label_index=index + 2)
            log_in(page, url, args.user, args.password)
            project_url = open_first_document(page)
            review_page(page, args.out)
            compare_view(page, args.out)
            agreement_report(page, project_url, args.out)
        finally:
            browser.close()
    for name in ("review", "compare", "agreement"):
        print(args.out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
