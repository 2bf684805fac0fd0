"""Auto-assignment of 10,000 documents to 20 annotators, k = 3: assign.py (fresh database).

Imports the generated file of 10,000 one-sentence documents, creates 20 annotators (Membership
role "annotator") and a superuser manager, sets k = 3, then times:

- the pure planner, `annotator.nlp.assignment.plan`, on the 10,000 units (best and median of 5);
- `annotator.services.assignment.auto_assign(...)` once, committed: 30,000 tasks and the annotators'
  layers. SQL statements are counted with a cheap execute wrapper.

If the call misses its target (or BENCH_PROFILE=1), it is run again under cProfile, for the
first PROFILE_DOCUMENTS documents only (the cost is per document and annotator, so a tenth shows
the same hot spots in a tenth of the time), from the same starting state (the timed run's tasks
and layers deleted) inside a transaction that is rolled back; the top functions go to
var/bench/profile-assign-<db>.txt and into the result. BENCH_PROFILE=0 never profiles.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import time

import django
from common import DOCS, VAR, emit, peak_rss_mb

ANNOTATORS = 20
K = 3
TARGET_S = 5.0
PLAN_RUNS = 5
PROJECT = "assign"
PROFILE_DOCUMENTS = 1000  # the profile's run: a tenth of the documents shows the same hot spots


class Counter:
    """django execute wrapper: counts statements (executemany counts once)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def setup() -> dict:
    from django.contrib.auth import get_user_model

    from annotator.models import Membership
    from annotator.services import corpus

    start = time.perf_counter()
    with DOCS.open("rb") as stream:
        summary = corpus.import_conll(project_name=PROJECT, files=[(DOCS.name, stream)])
    imported = time.perf_counter() - start
    project = summary.project
    project.annotators_per_document = K
    project.task_size = None
    project.max_open_tasks = None
    project.save()
    User = get_user_model()  # noqa: N806
    users = []
    for i in range(ANNOTATORS):
        user = User(username=f"annotator{i}", email=f"annotator{i}@example.com")
        user.set_unusable_password()  # hashing 20 real passwords would dominate the setup
        users.append(user)
    User.objects.bulk_create(users)
    annotators = User.objects.filter(username__startswith="annotator").order_by("pk")
    Membership.objects.bulk_create(
        Membership(project=project, user=user, role=Membership.Role.ANNOTATOR)
        for user in annotators
    )
    User.objects.create_superuser("manager", "manager@example.com", None)
    return {
        "import_s": imported,
        "documents": summary.documents,
        "sentences": summary.sentences,
        "tokens": summary.tokens,
    }


def measure_plan(project) -> dict:
    from annotator.models import Membership
    from annotator.nlp import assignment

    units = [
        unit
        for pk, sentences in project.documents.order_by("position").values_list(
            "pk", "sentence_count"
        )
        for unit in assignment.split(pk, sentences, project.task_size)
    ]
    annotators = list(
        Membership.objects.filter(project=project, role=Membership.Role.ANNOTATOR)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    times, result = [], None
    for _ in range(PLAN_RUNS):
        start = time.perf_counter()
        result = assignment.plan(units, annotators, K)
        times.append(time.perf_counter() - start)
    return {
        "units": len(units),
        "annotators": len(annotators),
        "assignments": len(result.assignments),
        "short": len(result.short),
        "best_s": min(times),
        "median_s": statistics.median(times),
    }


def call(project, manager, limit: int | None = None):
    from annotator.services import assignment

    documents = list(project.documents.order_by("position")[:limit])
    return assignment.auto_assign(manager=manager, project=project, documents=documents)


def measure_assign(project, manager) -> dict:
    from django.db import connection

    from annotator.models import TagLayer, Task

    counter = Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        tasks, short = call(project, manager)
        seconds = time.perf_counter() - start
    per_annotator = Task.objects.filter(project=project).values("annotator_id").distinct().count()
    return {
        "seconds": seconds,
        "tasks": len(tasks),
        "tasks_in_db": Task.objects.filter(project=project).count(),
        "annotators_with_tasks": per_annotator,
        "annotator_layers": TagLayer.objects.filter(
            document__project=project, kind=TagLayer.Kind.ANNOTATOR
        ).count(),
        "short": len(short),
        "statements": counter.count,
        "documents": project.documents.count(),
    }


def profile(project, manager, label: str) -> list[str]:
    """auto_assign under cProfile from the same starting state, rolled back afterwards."""
    from django.db import transaction

    from annotator.models import TagLayer, Task

    with transaction.atomic():
        Task.objects.filter(project=project).delete()
        TagLayer.objects.filter(document__project=project, kind=TagLayer.Kind.ANNOTATOR).delete()
        profiler = cProfile.Profile()
        profiler.enable()
        call(project, manager, PROFILE_DOCUMENTS)
        profiler.disable()
        transaction.set_rollback(True)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    path = VAR / f"profile-assign-{label.lower()}.txt"
    path.write_text(text.getvalue())
    return [line for line in text.getvalue().splitlines() if line.strip()][:90]


def main() -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from annotator.models import Project

    call_command("migrate", verbosity=0)
    label = sys.argv[1] if len(sys.argv) > 1 else "db"
    out = {"setup": setup()}
    project = Project.objects.get(name=PROJECT)
    manager = get_user_model().objects.get(username="manager")
    out["plan"] = measure_plan(project)
    out["target_s"] = TARGET_S
    out["auto_assign"] = measure_assign(project, manager)
    wanted = os.environ.get("BENCH_PROFILE")
    if wanted == "1" or (wanted != "0" and out["auto_assign"]["seconds"] > TARGET_S):
        out["profile"] = profile(project, manager, label)
        out["profile_documents"] = PROFILE_DOCUMENTS
    out["peak_rss_mb"] = peak_rss_mb()
    emit(out)


if __name__ == "__main__":
    main()
