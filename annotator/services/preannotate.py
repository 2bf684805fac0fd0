"""Pre-annotation: a model proposes tags for documents as a new layer of suggestions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotator import bulk
from annotator.models import GOLD, Document, Project, SentenceTags, TagLayer, Task
from annotator.nlp import scheme
from annotator.nlp.gazetteer import Gazetteer
from annotator.services.corpus import TAG_FIELDS
from annotator.services.jobs import JobFailed, complete, runner


def build_gazetteer(project: Project, *, source: str, case_sensitive: bool) -> Gazetteer:
    """The confirmed spans: the gold layers (source "gold"), the layers of approved tasks
    ("approved"), or the layers with a given name."""
    gazetteer = Gazetteer(case_sensitive)
    rows = SentenceTags.objects.filter(layer__document__project=project)
    if source == "approved":
        approved = Task.objects.filter(project=project, state=Task.State.APPROVED)
        rows = rows.filter(layer__in=approved.values("layer"))
    else:
        rows = rows.filter(layer__name=GOLD if source == "gold" else source)
    values = rows.values_list("sentence__tokens", "tags", "layer__document__scheme")
    for tokens, tags, doc_scheme in values.iterator(chunk_size=2000):
        gazetteer.add_spans(tokens, scheme.spans(tags, doc_scheme))
    return gazetteer


@runner("gazetteer")
def run_gazetteer(job, progress) -> None:
    project = job.project
    params = job.params
    gazetteer = build_gazetteer(
        project, source=params.get("source", "gold"), case_sensitive=params.get("case", False)
    )
    if not len(gazetteer):
        raise JobFailed(
            f"no confirmed spans in the {params.get('source', 'gold')} layers to learn from"
        )
    documents = project.documents.order_by("position")
    if params.get("documents"):
        documents = documents.filter(pk__in=params["documents"])
    documents = list(documents)
    name = f"suggestions: gazetteer at {timezone.now():%Y-%m-%d %H:%M:%S} (job {job.pk})"
    total = sum(d.sentence_count for d in documents)
    done = 0
    with transaction.atomic():
        for document in documents:
            done = _suggest(document, gazetteer, name, progress, done, total)
        complete(
            job,
            {"layer": name, "documents": len(documents), "phrases": len(gazetteer)},
            message=f"Wrote layer {name!r} for {len(documents)} documents.",
        )


def _suggest(
    document: Document, gazetteer: Gazetteer, name: str, progress, done: int, total: int
) -> int:
    layer = TagLayer.objects.create(document=document, name=name, kind=TagLayer.Kind.MODEL)
    rows = []
    sentences = document.sentences.order_by("position").values_list("pk", "tokens")
    for sentence_id, tokens in sentences.iterator(chunk_size=2000):
        tags = scheme.tags_from_spans(gazetteer.match(tokens), len(tokens), document.scheme)
        rows.append((layer.pk, sentence_id, bulk.dump_json(tags), None, 1, False))
        done += 1
        if len(rows) >= 2000:
            bulk.insert_rows(SentenceTags, TAG_FIELDS, rows)
            rows = []
            progress(done, total, f"Tagging {document.name}")
    bulk.insert_rows(SentenceTags, TAG_FIELDS, rows)
    progress(done, total, f"Tagged {document.name}")
    return done
