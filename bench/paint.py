"""First paint of a 2,000-sentence document's page in Chromium, served by gunicorn: paint.py.

Imports the 2,000-sentence file as project "paint" unless the database has it, makes a
superuser, runs `collectstatic` (DEBUG=0 serves static files from STATIC_ROOT, as in
production), starts gunicorn with load.py's start_server, logs in through the login form in a
Playwright context, then loads /documents/<pk>/ WARMUP times untimed and LOADS times timed, each
in a new tab, reading first-contentful-paint and the navigation timing from the page. The login
page (same base template, almost no content) is loaded the same way as the browser's floor.
"""

from __future__ import annotations

import statistics
import time

import django
from common import PAGE, emit, p95, peak_rss_mb

PROJECT = "paint"
USER = "bench-paint"
PASSWORD = "bench-only-password"  # noqa: S105 (a throwaway user in the bench database)
WORKERS = 2
WARMUP = 3
LOADS = 20
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 30_000
BASELINE = "/accounts/login/"  # a near-empty page on the same base template: the browser's floor

METRICS = """async () => {
  const fcp = await new Promise((resolve) => {
    const seen = performance.getEntriesByName("first-contentful-paint");
    if (seen.length) return resolve(seen[0].startTime);
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        if (e.name === "first-contentful-paint") resolve(e.startTime);
    }).observe({ type: "paint", buffered: true });
    setTimeout(() => resolve(null), 5000);
  });
  const nav = performance.getEntriesByType("navigation")[0];
  return {
    fcp,
    requestStart: nav.requestStart,
    responseStart: nav.responseStart,
    responseEnd: nav.responseEnd,
    domContentLoaded: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    bytes: nav.decodedBodySize,
    elements: document.getElementsByTagName("*").length,
    sentences: document.querySelectorAll("[data-version]").length,
  };
}"""


def document_path() -> tuple[str, dict]:
    from django.urls import reverse

    from annotator.models import Document
    from annotator.services import corpus

    document = Document.objects.filter(project__name=PROJECT).first()
    if document is None:
        with PAGE.open("rb") as stream:
            summary = corpus.import_conll(project_name=PROJECT, files=[(PAGE.name, stream)])
        document = summary.project.documents.get()
    info = {"sentences": document.sentence_count, "tokens": document.token_count}
    return reverse("annotator-document-detail", kwargs={"pk": document.pk}), info


def ensure_user() -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    user = users.filter(username=USER).first() or users.create_superuser(USER, "", PASSWORD)
    user.set_password(PASSWORD)
    user.save()


def browse(base: str, path: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        login = context.new_page()
        login.goto(base + "/accounts/login/")
        login.fill("#id_username", USER)
        login.fill("#id_password", PASSWORD)
        with login.expect_navigation():
            login.click("button[type=submit]")
        if not any(c["name"] == "sessionid" for c in context.cookies()):
            raise SystemExit("bench: the login form did not set a session cookie")
        login.close()
        failed: list[str] = []
        runs = timed_loads(context, base + path, failed)
        baseline = timed_loads(context, base + BASELINE, failed)
        version = browser.version
        browser.close()
    return {"runs": runs, "baseline": baseline, "failed": sorted(set(failed))[:5],
            "chromium": version}  # fmt: skip


def timed_loads(context, url: str, failed: list[str]) -> list[dict]:
    """WARMUP untimed then LOADS timed loads of url, each in a new tab."""
    runs = []
    for i in range(WARMUP + LOADS):
        page = context.new_page()
        page.on(
            "response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )
        start = time.perf_counter()
        response = page.goto(url, wait_until="load")
        wall = (time.perf_counter() - start) * 1000
        if response is None or response.status != 200 or page.url != url:
            status = response.status if response else "none"
            raise SystemExit(f"bench: {url} answered {status} at {page.url}")
        metrics = page.evaluate(METRICS)
        page.close()
        if i >= WARMUP:
            runs.append(metrics | {"wall": wall})
    return runs


def stats(runs: list[dict], key: str) -> dict:
    values = [run[key] for run in runs if run[key] is not None]
    if not values:
        return {"median_ms": None, "p95_ms": None, "missing": len(runs)}
    return {
        "median_ms": statistics.median(values),
        "p95_ms": p95(values),
        "missing": len(runs) - len(values),
    }


def measure() -> dict:
    from django.core.management import call_command
    from django.db import connections
    from load import free_port, start_server

    path, info = document_path()
    ensure_user()
    call_command("collectstatic", "--noinput", verbosity=0)
    connections.close_all()
    port = free_port()
    server = start_server(port, WORKERS)
    try:
        seen = browse(f"http://127.0.0.1:{port}", path)
    finally:
        server.terminate()
        server.wait(10)
    runs = seen["runs"]
    return {
        "document": info,
        "loads": len(runs),
        "warmup": WARMUP,
        "workers": WORKERS,
        "chromium": seen["chromium"],
        "fcp": stats(runs, "fcp"),
        "response_start": stats(runs, "responseStart"),
        "response_end": stats(runs, "responseEnd"),
        "dom_content_loaded": stats(runs, "domContentLoaded"),
        "load": stats(runs, "load"),
        "wall": stats(runs, "wall"),
        "baseline": {
            "path": BASELINE,
            "fcp": stats(seen["baseline"], "fcp"),
            "response_start": stats(seen["baseline"], "responseStart"),
        },
        "bytes": runs[-1]["bytes"],
        "elements": runs[-1]["elements"],
        "sentences_shown": runs[-1]["sentences"],
        "failed_requests": seen["failed"],
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    emit(measure())


if __name__ == "__main__":
    main()
