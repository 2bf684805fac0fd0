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

# A model layer's rows carry the model's scores where it gives them (nlp/suggestions.py).
SCORED_FIELDS = [*TAG_FIELDS, "probability", "confidence"]


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


class GazetteerTagger:
    """The gazetteer as a tagger: IOB2 tags from its longest-first matches."""

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer

    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        return [
            scheme.tags_from_spans(self.gazetteer.match(tokens), len(tokens), "iob2")
            for tokens in sentences
        ]


@runner("gazetteer")
def run_gazetteer(job, progress) -> None:
    params = job.params
    gazetteer = build_gazetteer(
        job.project, source=params.get("source", "gold"), case_sensitive=params.get("case", False)
    )
    if not len(gazetteer):
        raise JobFailed(
            f"no confirmed spans in the {params.get('source', 'gold')} layers to learn from"
        )
    write_suggestions(
        job, GazetteerTagger(gazetteer), "gazetteer", progress, {"phrases": len(gazetteer)}
    )


def write_suggestions(job, tagger, source: str, progress, result: dict) -> None:
    """Tag the job's documents (all, or params["documents"]) into one new layer each,
    "suggestions: SOURCE at TIME", and complete the job in the same transaction."""
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


def _suggest(document: Document, tagger, name: str, progress, done: int, total: int) -> int:
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


def scored(tagger, sentences: list[list[str]]) -> list[tuple[list[str], float | None, list | None]]:
    """(IOB2 tags, sequence probability, span confidences) per sentence; a tagger without
    scores (gazetteer, remote, spaCy) gives None for both."""
    if hasattr(tagger, "tag_scored"):
        return tagger.tag_scored(sentences)
    return [(tags, None, None) for tags in tagger.tag_many(sentences)]
