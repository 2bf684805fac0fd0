"""Pre-annotation: a tagger proposes tags for documents as a new layer of suggestions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from annotator import bulk
from annotator.models import Document, SentenceTags, TagLayer
from annotator.nlp import scheme
from annotator.services.corpus import TAG_FIELDS
from annotator.services.jobs import JobFailed, complete
from annotator.taggers.base import Tagger, TaggerFailed, scored

# A model layer's rows carry the model's scores where it gives them (nlp/suggestions.py).
SCORED_FIELDS = [*TAG_FIELDS, "probability", "confidence"]


def write_suggestions(job, tagger: Tagger, source: str, progress, result: dict) -> None:
    """Tag the job's documents (all, or params["documents"]) into one new layer each,
    "suggestions: SOURCE at TIME", and complete the job in the same transaction."""
    try:
        _write_suggestions(job, tagger, source, progress, result)
    except TaggerFailed as error:
        raise JobFailed(str(error)) from error


def _write_suggestions(job, tagger: Tagger, source: str, progress, result: dict) -> None:
    documents = job.project.documents.order_by("position")
    if job.params.get("documents"):
        documents = documents.filter(pk__in=job.params["documents"])
    documents = list(documents)
    name = f"suggestions: {source} at {timezone.now():%Y-%m-%d %H:%M:%S} (job {job.pk})"
    total, done = sum(d.sentence_count for d in documents), 0
    with transaction.atomic():
        for document in documents:
            done = _suggest(document, tagger, name, progress, done, total)
        complete(
            job,
            {"layer": name, "documents": len(documents), **result},
            message=f"Wrote layer {name!r} for {len(documents)} documents.",
        )


def _suggest(document: Document, tagger: Tagger, name: str, progress, done: int, total: int) -> int:
    layer = TagLayer.objects.create(document=document, name=name, kind=TagLayer.Kind.MODEL)
    sentences = list(document.sentences.order_by("position").values_list("pk", "tokens"))
    for start in range(0, len(sentences), 500):
        chunk = sentences[start : start + 500]
        rows = []
        for (sentence_id, _), (iob2, probability, confidence) in zip(
            chunk, scored(tagger, [tokens for _, tokens in chunk]), strict=True
        ):
            tags = scheme.convert(iob2, "iob2", document.scheme)
            invalid = scheme.invalid_positions(tags, document.scheme) or None
            rows.append(
                (
                    layer.pk,
                    sentence_id,
                    bulk.dump_json(tags),
                    bulk.dump_json(invalid),
                    1,
                    False,
                    probability,
                    bulk.dump_json(confidence),
                )
            )
        bulk.insert_rows(SentenceTags, SCORED_FIELDS, rows)
        done += len(chunk)
        progress(done, total, f"Tagging {document.name}")
    return done
