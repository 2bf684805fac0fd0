"""Measurements that need Django, one per process so each peak-memory figure is its own.

    measure.py import PATH   import PATH as project "bench" (time only the import call)
    measure.py export OUT    stream project "bench" to OUT (time the whole stream)
    measure.py page          time the document page of a 2,000- and of a 50-sentence document

The database comes from DATABASE_URL; run.py sets it and the rest of the environment.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import django
from common import PAGE, PROJECT, SHORT, SMALL, emit, peak_rss_mb

REQUESTS = 30
PASSWORD = "bench-only-password"  # noqa: S105 (a throwaway user in the bench database)


def measure_import(path: Path) -> dict:
    from annotator.services import corpus

    before = peak_rss_mb()
    with path.open("rb") as stream:
        start = time.perf_counter()
        summary = corpus.import_conll(project_name=PROJECT, files=[(path.name, stream)])
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "tokens": summary.tokens,
        "sentences": summary.sentences,
        "documents": summary.documents,
        "warnings": summary.warning_count,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_export(out: Path) -> dict:
    from annotator.models import Project
    from annotator.services import corpus

    project = Project.objects.get(name=PROJECT)
    tokens = sum(project.documents.values_list("token_count", flat=True))
    before = peak_rss_mb()
    start = time.perf_counter()
    with out.open("wb") as f:
        for chunk in corpus.export_project(project):
            f.write(chunk)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "tokens": tokens,
        "rss_before_mb": before,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_page() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from annotator.services import corpus

    def import_one(path: Path) -> str:
        with path.open("rb") as stream:
            summary = corpus.import_conll(
                project_name=f"page {path.stem}", files=[(path.name, stream)]
            )
        # The document this import created: a reused database (BENCH_ONLY=page) already holds the
        # project with the earlier runs' documents, all named alike.
        document = summary.project.documents.latest("pk")
        return reverse("annotator-document-detail", kwargs={"pk": document.pk})

    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)  # DEBUG=0: the manifest's names
    url, small_url, short_url = import_one(PAGE), import_one(SMALL), import_one(SHORT)
    users = get_user_model().objects
    if not users.filter(username="bench").exists():  # a reused database has it from before
        users.create_superuser("bench", "bench@example.com", PASSWORD)
    client = Client()
    if not client.login(username="bench", password=PASSWORD):
        raise SystemExit("bench: could not log in")

    def get(target: str) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(target)
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"bench: GET {target} answered {response.status_code}")
        return elapsed, len(queries)

    get(url)  # warm-up
    runs = [get(url) for _ in range(REQUESTS)]
    get(small_url)  # warm-up
    small_queries = get(small_url)[1]
    get(short_url)  # warm-up
    short = sorted(get(short_url)[0] for _ in range(REQUESTS))
    times = sorted(ms for ms, _ in runs)
    return {
        "requests": REQUESTS,
        "median_ms": statistics.median(times),
        "p95_ms": times[math.ceil(0.95 * len(times)) - 1],  # nearest rank
        "queries": sorted({q for _, q in runs}),
        "small_queries": small_queries,
        "short_median_ms": statistics.median(short),
        "short_p95_ms": short[math.ceil(0.95 * len(short)) - 1],
        "short_cpu_ms": short_cpu(client, short_url),
        "peak_rss_mb": peak_rss_mb(),
    }


def short_cpu(client, url: str) -> float:
    """The 50-sentence page's CPU time per request in this process (the server's side of it;
    what a loaded machine does not inflate as it does the wall clock)."""
    start = time.process_time()
    for _ in range(REQUESTS):
        client.get(url)
    return (time.process_time() - start) * 1000 / REQUESTS


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    command, *args = sys.argv[1:]
    if command == "import":
        emit(measure_import(Path(args[0])))
    elif command == "export":
        emit(measure_export(Path(args[0])))
    elif command == "page":
        emit(measure_page())
    else:
        raise SystemExit(f"bench: unknown measurement {command!r}")


if __name__ == "__main__":
    main()
