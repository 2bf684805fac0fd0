"""Project-wide search in the 1,000,000-token project "bench": search.py.

Times `annotator.search.find(project, phrase)` in process and the search page
GET /projects/<pk>/search/?q=... through django.test.Client (logged in as a superuser), for a
word and a two-word phrase; RUNS timed calls each after one warm-up. Queries are counted in one
extra call so the counting does not slow the timed ones. If the database has no project "bench"
(a BENCH_ONLY run without the import), it is imported first, untimed.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import time

import django
from common import BIG, PROJECT, VAR, emit, p95, peak_rss_mb

RUNS = 20
TARGET_MS = 200  # judged on the median
PHRASES = ("PyTorch", "neural network")
USER = "bench-search"
PASSWORD = "bench-only-password"  # noqa: S105 (a throwaway user in the bench database)


def project():
    from annotator.models import Project
    from annotator.services import corpus

    found = Project.objects.filter(name=PROJECT).first()
    if found is not None:
        return found, None
    start = time.perf_counter()
    with BIG.open("rb") as stream:
        summary = corpus.import_conll(project_name=PROJECT, files=[(BIG.name, stream)])
    return summary.project, time.perf_counter() - start


def timed(call, runs: int = RUNS) -> tuple[list[float], object]:
    call()  # warm-up
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def profile(call, name: str) -> list[str]:
    """One call under cProfile; the top functions, also written to var/bench/."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(12)
    (VAR / f"profile-search-{name}.txt").write_text(text.getvalue())
    return [line for line in text.getvalue().splitlines() if line.strip()][:60]


def summary(times: list[float]) -> dict:
    return {"median_ms": statistics.median(times), "p95_ms": p95(times), "runs": len(times)}


def measure() -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from annotator import search

    bench, imported = project()
    tokens = sum(bench.documents.values_list("token_count", flat=True))
    users = get_user_model().objects
    user = users.filter(username=USER).first() or users.create_superuser(USER, "", PASSWORD)
    client = Client()
    client.force_login(user)
    url = reverse("annotator-project-search", kwargs={"pk": bench.pk})
    out: dict = {"tokens": tokens, "documents": bench.documents.count(), "imported_s": imported}
    for phrase in PHRASES:
        times, result = timed(lambda phrase=phrase: search.find(bench, phrase))

        def get(phrase: str = phrase):
            response = client.get(url, {"q": phrase})
            if response.status_code != 200:
                raise SystemExit(f"bench: search page answered {response.status_code}")
            return response

        page_times, response = timed(get)
        out[phrase] = {
            "find": summary(times) | {"queries": queries(lambda p=phrase: search.find(bench, p))},
            "page": summary(page_times) | {"queries": queries(get), "bytes": len(response.content)},
            "occurrences": result.total,
            "groups": len(result.groups),
            "truncated": result.truncated,
        }
        entry = out[phrase]
        label = os.environ.get("BENCH_LABEL", "db").lower()
        for what, run in (("find", lambda p=phrase: search.find(bench, p)), ("page", get)):
            wanted = os.environ.get("BENCH_PROFILE")
            slow = entry[what]["median_ms"] >= TARGET_MS
            if wanted == "1" or (wanted != "0" and slow):
                name = f"{label}-{what}-{phrase.replace(' ', '-').lower()}"
                entry[what]["profile"] = profile(run, name)
    out["target_ms"] = TARGET_MS
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    emit(measure())


if __name__ == "__main__":
    main()
