"""Retrain as you go: after 10, 20, 40, ... newly reviewed gold sentences, then every N
(Project.retrain_every; `nlp.retraining.next_retrain`), a job trains a CRF on the reviewed gold
sentences and refreshes the suggestions of the unreviewed ones in one model layer per document,
LIVE_LAYER, which the review page outlines. Spans a reviewer rejected on a sentence are left out
of its refreshed suggestions.

Rejections and training: the model learns from reviewed gold sentences only. A reviewed
sentence's gold tags already say what its reviewer decided about every suggestion. An unreviewed
sentence with a rejection says what one span is not, but nothing about its other tokens: a CRF
needs every tag of a sentence, and taking its unfinished tags as the truth would teach that its
untagged entities are O. So there a rejection is a constraint on what is suggested, not data.

One retrain job per project at a time: a request while one is queued or running only marks the
project `retrain_wanted`; the job clears the mark when it starts (it reads the data as of then)
and, when it ends, queues one follow-up if a request came meanwhile. Any number of requests
during a run become that one follow-up: the newest request supersedes the others.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum

from annotator import rows
from annotator.models import (
    GOLD,
    Job,
    Project,
    SentenceTags,
    SuggestionFeedback,
    TaggerModel,
    TagLayer,
)
from annotator.nlp import crf, retraining, scheme
from annotator.services.jobs import JobFailed, complete, start_job
from annotator.services.scratch import scratch_folder
from annotator.services.tagger_models import store_model

KIND = "retrain"
LIVE_MODEL = "live"
LIVE_LAYER = "suggestions: live model"
MIN_SENTENCES = 3  # one held out, two to learn from: a first model early in a project
ACTIVE = (Job.State.QUEUED, Job.State.RUNNING)


def reviewed_total(project: Project) -> int:
    """Reviewed sentences in the project's gold layers (kept as counts on the layers)."""
    layers = TagLayer.objects.filter(document__project=project, name=GOLD)
    return layers.aggregate(total=Sum("reviewed_count"))["total"] or 0


@transaction.atomic
def note_reviewed(*, project: Project, user) -> Job | None:
    """After a sentence is marked reviewed: ask for a retrain when the next one is due."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    total = reviewed_total(project)
    if total < retraining.next_retrain(project.learned_reviewed, project.retrain_every):
        return None
    project.learned_reviewed = total
    project.save(update_fields=["learned_reviewed"])
    return request_retrain(project=project, user=user)


@transaction.atomic
def request_retrain(*, project: Project, user) -> Job:
    """The retrain job that will serve this request: a new one, or the active one (then a
    follow-up is wanted)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    active = Job.objects.filter(project=project, kind=KIND, state__in=ACTIVE).first()
    if active is not None:
        Project.objects.filter(pk=project.pk).update(retrain_wanted=True)
        return active
    return start_job(kind=KIND, user=user, project=project, params={})


def live_model(project: Project) -> TaggerModel | None:
    # Asked by every review page and its 4-second poll: a statement written once (rows.py).
    found = rows.select(
        TaggerModel,
        "x.project_id = %s AND x.name = %s",
        [project.pk, LIVE_MODEL],
        order="x.version DESC",
        limit=1,
    )
    return found[0] if found else None


def run_retrain(job, progress) -> None:
    Project.objects.filter(pk=job.project_id).update(retrain_wanted=False)
    try:
        _retrain(job, progress)
    finally:
        _follow_up(job)


@transaction.atomic
def _follow_up(job: Job) -> None:
    project = Project.objects.select_for_update().get(pk=job.project_id)
    others = Job.objects.filter(project=project, kind=KIND, state__in=ACTIVE).exclude(pk=job.pk)
    if project.retrain_wanted and not others.exists():
        Project.objects.filter(pk=project.pk).update(retrain_wanted=False)
        start_job(kind=KIND, user=job.user, project=project, params=job.params)


def reviewed_sentences(project: Project) -> list[tuple[list[str], list[str]]]:
    """(tokens, IOB2 tags) of every reviewed gold sentence, in document order."""
    rows = (
        SentenceTags.objects.filter(layer__document__project=project, layer__name=GOLD)
        .filter(reviewed=True)
        .order_by("layer__document__position", "sentence__position")
        .values_list("sentence__tokens", "tags", "layer__document__scheme")
    )
    return [(tokens, scheme.convert(tags, s, "iob2")) for tokens, tags, s in rows.iterator()]


def _retrain(job: Job, progress) -> None:
    project = job.project
    iterations = int(job.params.get("iterations", retraining.ITERATIONS))
    progress(0, iterations, "Reading the reviewed gold sentences")
    sentences = reviewed_sentences(project)
    if len(sentences) < MIN_SENTENCES:
        raise JobFailed(
            f"only {len(sentences)} reviewed gold sentences; at least {MIN_SENTENCES} are needed"
        )
    progress(0, iterations, "Scoring the recipe on held-out sentences")
    evaluation, held_out = retraining.held_out_f1(sentences, iterations=iterations)
    with scratch_folder(job) as scratch:
        path = scratch / "model.crfsuite"
        retraining.train(
            sentences,
            path,
            iterations=iterations,
            progress=lambda i, n: progress(i, n, "Training"),
        )
        tagger = crf.Tagger(path)
        trained_on = {
            "layer": GOLD,
            "reviewed": True,
            "sentences": len(sentences),
            "tokens": sum(len(w) for w, _ in sentences),
            "held_out_sentences": held_out,
        }
        with transaction.atomic():
            refreshed = refresh_suggestions(project, tagger, progress)
            model = store_model(job, path, LIVE_MODEL, evaluation, trained_on)
            f1 = evaluation["micro"]["f1"]
            complete(
                job,
                {"model": model.pk, "name": str(model), "f1": f1, "refreshed": refreshed},
                message=f"Trained {model} (held-out F1 {f1:.3f}); "
                f"refreshed the suggestions of {refreshed} unreviewed sentences.",
            )


def rejected_spans(layer: TagLayer) -> dict[int, list[tuple[int, int, str]]]:
    """Per sentence, the (start, end, label) of the suggestions of `layer` a reviewer rejected."""
    found: dict[int, list[tuple[int, int, str]]] = {}
    rows = SuggestionFeedback.objects.filter(layer=layer, accepted=False).values_list(
        "sentence_id", "start", "end", "label"
    )
    for sentence_id, start, end, label in rows:
        found.setdefault(sentence_id, []).append((start, end, label))
    return found


def refresh_suggestions(project: Project, tagger: crf.Tagger, progress) -> int:
    """Tag every sentence not reviewed in gold into each document's LIVE_LAYER (created on the
    first run); reviewed sentences keep their last suggestions. Bulk writes per document."""
    reviewed = set(
        SentenceTags.objects.filter(
            layer__document__project=project, layer__name=GOLD, reviewed=True
        ).values_list("sentence_id", flat=True)
    )
    refreshed = 0
    for document in project.documents.order_by("position"):
        layer, _ = TagLayer.objects.get_or_create(
            document=document, name=LIVE_LAYER, defaults={"kind": TagLayer.Kind.MODEL}
        )
        existing = {row.sentence_id: row for row in SentenceTags.objects.filter(layer=layer)}
        rejected = rejected_spans(layer)
        changed, new = [], []
        sentences = document.sentences.order_by("position").values_list("pk", "tokens")
        for sentence_id, tokens in sentences:
            if sentence_id in reviewed and sentence_id in existing:
                continue
            iob2, probability, confidence = retraining.suggest(
                tagger, tokens, rejected.get(sentence_id, ())
            )
            tags = scheme.convert(iob2, "iob2", document.scheme)
            fields = {
                "tags": tags,
                "invalid": scheme.invalid_positions(tags, document.scheme) or None,
                "probability": round(probability, 6),
                "confidence": confidence,
            }
            row = existing.get(sentence_id)
            if row is None:
                new.append(SentenceTags(layer=layer, sentence_id=sentence_id, **fields))
                continue
            for name, value in fields.items():
                setattr(row, name, value)
            row.version += 1
            changed.append(row)
        fields = ["tags", "invalid", "probability", "confidence", "version"]
        SentenceTags.objects.bulk_update(changed, fields, batch_size=500)
        SentenceTags.objects.bulk_create(new, batch_size=500)
        refreshed += len(changed) + len(new)
        progress(refreshed, None, f"Refreshing the suggestions of {document.name}")
    return refreshed
