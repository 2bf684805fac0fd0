"""Agreement of three annotators over the 1,000,000-token project, as the worker runs it.

In the bench database (the project "bench" is imported, untimed, when missing): three annotator
users, each with a layer per document copied from the imported tags with a seeded share of the
sentences changed (a span relabelled, dropped, or its end moved), and a submitted task covering
the whole document. Then one "agreement" job through `jobs.run_job` (the function the Celery task
calls), timed, with the process's peak memory. Everything made is deleted afterwards.
"""

from __future__ import annotations

import random
import time

import django
from common import BIG, PROJECT, emit, peak_rss_mb

ANNOTATORS = 3
CHANGED = 0.10  # share of sentences each annotator reads differently
SEED = 6
TARGET_S = 5.0


def changed(tags: list[str], doc_scheme: str, rng: random.Random, labels: list[str]) -> list[str]:
    from annotator.nlp import scheme

    spans = scheme.spans(tags, doc_scheme)
    if not spans:
        return tags
    span = rng.choice(spans)
    spans.remove(span)
    move = rng.random()
    if move < 0.4:
        spans.append(scheme.Span(span.start, span.end, rng.choice(labels)))
    elif move < 0.7 and span.end < len(tags) and all(s.start != span.end for s in spans):
        spans.append(scheme.Span(span.start, span.end + 1, span.label))
    return scheme.tags_from_spans(sorted(spans), len(tags), doc_scheme)


def setup(project) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from annotator.models import SentenceTags, TagLayer, Task

    rng = random.Random(SEED)
    labels = project.labels or ["MISC"]
    names = []
    with transaction.atomic():
        for i in range(1, ANNOTATORS + 1):
            user, _ = get_user_model().objects.get_or_create(username=f"bench-annotator-{i}")
            name = f"annotator {user.username}"
            names.append(name)
            for document in project.documents.all():
                layer = TagLayer.objects.create(
                    document=document, name=name, kind=TagLayer.Kind.ANNOTATOR, owner=user
                )
                rows = SentenceTags.objects.filter(layer__document=document, layer__name="imported")
                SentenceTags.objects.bulk_create(
                    (
                        SentenceTags(
                            layer=layer,
                            sentence_id=sentence_id,
                            tags=changed(tags, document.scheme, rng, labels)
                            if rng.random() < CHANGED
                            else tags,
                        )
                        for sentence_id, tags in rows.values_list("sentence_id", "tags").iterator()
                    ),
                    batch_size=2000,
                )
                Task.objects.create(
                    project=project,
                    document=document,
                    annotator=user,
                    layer=layer,
                    end_sentence=document.sentence_count,
                    state=Task.State.SUBMITTED,
                )
    return names


def cleanup(project, names: list[str]) -> None:
    from django.contrib.auth import get_user_model

    from annotator.models import TagLayer, Task

    Task.objects.filter(project=project, layer__name__in=names).delete()
    TagLayer.objects.filter(document__project=project, name__in=names).delete()
    project.reports.all().delete()
    get_user_model().objects.filter(username__startswith="bench-annotator-").delete()


def main() -> None:
    django.setup()
    from django.core.management import call_command

    from annotator.models import Job, Project
    from annotator.services import corpus, jobs

    call_command("migrate", verbosity=0)
    project = Project.objects.filter(name=PROJECT).first()
    if project is None:
        with BIG.open("rb") as stream:
            project = corpus.import_conll(project_name=PROJECT, files=[(BIG.name, stream)])
            project = project.project
    cleanup(project, [f"annotator bench-annotator-{i}" for i in range(1, ANNOTATORS + 1)])
    start = time.perf_counter()
    names = setup(project)
    setup_s = time.perf_counter() - start
    before_mb = peak_rss_mb()
    try:
        job = Job.objects.create(
            kind="agreement", project=project, params={"layers": names, "finished_only": True}
        )
        start = time.perf_counter()
        jobs.run_job(job.pk)
        seconds = time.perf_counter() - start
        job.refresh_from_db()
        report = project.reports.first()
        result = report.result if report else {}
    finally:
        cleanup(project, names)
    out = {
        "tokens": result.get("tokens"),
        "sentences": result.get("sentences"),
        "annotators": len(names),
        "setup_s": round(setup_s, 1),
        "seconds": round(seconds, 2),
        "target_s": TARGET_S,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_job_mb": round(before_mb, 1),
        "fleiss_kappa": result.get("token", {}).get("all", {}).get("fleiss_kappa"),
        "state": job.state,
    }
    if job.state != "done":
        out["error"] = f"job {job.state}: {job.error}"
    emit(out)


if __name__ == "__main__":
    main()
