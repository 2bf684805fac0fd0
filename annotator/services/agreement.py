"""The "agreement" job: load the chosen layers, measure them (nlp.agreement), keep a report.

Besides the measures, the report keeps what the pages need without loading layers again: for
each pair, which sentences disagree on which labels (the drill-down), and the sentences and
documents ordered by how much all the compared layers disagree (the adjudication queue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection, transaction
from django.db.models import QuerySet

from annotator.models import AgreementReport, Document, Project, SentenceTags, TagLayer, Task
from annotator.nlp import adjudication, scheme
from annotator.nlp.agreement import agreement_report, token_label
from annotator.services.jobs import JobFailed, complete

KIND = "agreement"
FINISHED = (Task.State.SUBMITTED, Task.State.APPROVED)
CELL_LIMIT = 200  # sentences kept per drill-down cell; the count is kept whole
QUEUE_LIMIT = 2000


@dataclass
class Collected:
    """Sentences in document order; per layer name, its IOB2 tags per sentence or None."""

    index: list[tuple[int, int]] = field(default_factory=list)  # (document id, position)
    layers: dict[str, list[list[str] | None]] = field(default_factory=dict)


def layer_choices(project: Project) -> list[dict]:
    """The layer names of a project with their kind and on how many documents they are."""
    counts: dict[str, dict] = {}
    rows = TagLayer.objects.filter(document__project=project).values_list("name", "kind")
    for name, kind in rows:
        entry = counts.setdefault(name, {"name": name, "kind": kind, "documents": 0})
        entry["documents"] += 1
    order = {"annotator": 0, "model": 1, "gold": 2, "imported": 3}
    return sorted(counts.values(), key=lambda c: (order.get(c["kind"], 9), c["name"]))


def task_ranges(layer_ids, *, finished_only: bool) -> dict[int, list[tuple[int, int]]]:
    """Which sentence positions each annotator layer's tasks cover (what counts as annotated)."""
    tasks = Task.objects.filter(layer_id__in=layer_ids).exclude(state=Task.State.WITHDRAWN)
    if finished_only:
        tasks = tasks.filter(state__in=FINISHED)
    ranges: dict[int, list[tuple[int, int]]] = {}
    for layer_id, first, end in tasks.values_list("layer_id", "first_sentence", "end_sentence"):
        ranges.setdefault(layer_id, []).append((first, end))
    return ranges


def collect(
    project: Project,
    names: list[str],
    *,
    documents: list[int] | None = None,
    finished_only: bool = True,
) -> Collected:
    """Load the layers; an annotator's layer counts only on the sentences its tasks cover."""
    layers = TagLayer.objects.filter(document__project=project, name__in=names)
    if documents:
        layers = layers.filter(document_id__in=documents)
    info = {
        pk: (name, kind, document_id, doc_scheme)
        for pk, name, kind, document_id, doc_scheme in layers.values_list(
            "pk", "name", "kind", "document_id", "document__scheme"
        )
    }
    ranges = task_ranges(
        [pk for pk, (_, kind, *_) in info.items() if kind == TagLayer.Kind.ANNOTATOR],
        finished_only=finished_only,
    )
    slots: dict[tuple[int, int], int] = {}
    collected = Collected(layers={name: [] for name in names})
    rows = (
        SentenceTags.objects.filter(layer_id__in=info)
        .order_by("layer__document__position", "sentence__position")
        .values_list("layer_id", "sentence__position", "tags")
    )
    for layer_id, position, tags in _raw_rows(rows):
        name, kind, document_id, doc_scheme = info[layer_id]
        if kind == TagLayer.Kind.ANNOTATOR:
            covered = ranges.get(layer_id, ())
            if len(covered) == 1:  # the usual case: one task, checked inline
                if not covered[0][0] <= position < covered[0][1]:
                    continue
            elif not covered_by(covered, position):
                continue
        key = (document_id, position)
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = len(collected.index)
            collected.index.append(key)
            for column in collected.layers.values():
                column.append(None)
        if doc_scheme != "iob2":
            tags = scheme.convert(tags, doc_scheme, "iob2")
        collected.layers[name][slot] = tags
    return collected


def _raw_rows(rows: QuerySet, batch: int = 5000):
    """The rows without the ORM's per-value converters: a million tokens' JSON is decoded in
    one json.loads per row here, half the cost of going through JSONField.from_db_value."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(batch):
            texts = [row[-1] for row in chunk]
            if texts and isinstance(texts[0], str):  # one decode call per batch, not per row
                texts = json.loads("[" + ",".join(texts) + "]")
            for row, tags in zip(chunk, texts, strict=True):
                yield (*row[:-1], tags)


def covered_by(ranges, position: int) -> bool:
    """Whether a task range [first, end) holds the sentence position (empty: none does)."""
    return any(first <= position < end for first, end in ranges)


def disagreement_cells(collected: Collected, names: list[str]) -> dict:
    """Per pair: for each (label of a | label of b) and each label, the sentences concerned.

    "any" lists every sentence where the two differ at all, "label:X" those where they differ
    on spans of X (boundaries included), "A|B" those where a token is A for one and B for other.
    """
    cells: dict[str, dict] = {}
    for a, b in combinations(names, 2):
        pair: dict[str, dict] = {}
        for slot, (tags_a, tags_b) in enumerate(
            zip(collected.layers[a], collected.layers[b], strict=True)
        ):
            if tags_a is None or tags_b is None or tags_a == tags_b:
                continue
            keys = {"any"}
            for x, y in zip(tags_a, tags_b, strict=True):
                if x != y:
                    la, lb = token_label(x), token_label(y)
                    if la != lb:
                        keys.add(f"{la}|{lb}")
            spans_a = set(scheme.spans(tags_a, "iob2"))
            spans_b = set(scheme.spans(tags_b, "iob2"))
            keys.update(f"label:{span.label}" for span in spans_a ^ spans_b)
            ref = list(collected.index[slot])
            for key in keys:
                cell = pair.setdefault(key, {"count": 0, "sentences": []})
                cell["count"] += 1
                if len(cell["sentences"]) < CELL_LIMIT:
                    cell["sentences"].append(ref)
        cells[f"{a}|{b}"] = pair
    return cells


def disagreement_queue(collected: Collected, names: list[str]) -> dict:
    """Sentences and documents, most disagreement first (tokens not all read alike)."""
    sentences = []
    documents: dict[int, list[int]] = {}
    columns = [collected.layers[name] for name in names]
    for slot, key in enumerate(collected.index):
        readings = [column[slot] for column in columns if column[slot] is not None]
        if len(readings) < 2:
            continue
        score = adjudication.disagreement(readings)
        if score:
            sentences.append([key[0], key[1], score])
            entry = documents.setdefault(key[0], [0, 0])
            entry[0] += score
            entry[1] += 1
    sentences.sort(key=lambda s: (-s[2], s[0], s[1]))
    ordered = sorted(documents.items(), key=lambda item: (-item[1][0], item[0]))
    return {
        "sentences": sentences[:QUEUE_LIMIT],
        "sentence_count": len(sentences),
        "documents": [[document, score, count] for document, (score, count) in ordered],
    }


def compute(
    project: Project,
    *,
    layers: list[str],
    gold: str | None = None,
    documents: list[int] | None = None,
    finished_only: bool = True,
) -> dict:
    """Everything a report holds, computed from the database (no write)."""
    names = list(dict.fromkeys(layers + ([gold] if gold else [])))
    collected = collect(project, names, documents=documents, finished_only=finished_only)
    if not collected.index:
        raise JobFailed("none of the chosen layers has annotated sentences to compare")
    present = [name for name in layers if any(t is not None for t in collected.layers[name])]
    if len(present) < 2:
        raise JobFailed(
            "agreement needs at least two layers with annotated sentences; "
            f"found {', '.join(present) or 'none'} (is the annotators' work submitted?)"
        )
    measured = {name: collected.layers[name] for name in present}
    if gold and gold not in present:
        measured[gold] = collected.layers[gold]
    return {
        "result": agreement_report(measured, scheme="iob2", gold=gold),
        "cells": disagreement_cells(collected, present),
        "queue": disagreement_queue(collected, present),
    }


def run_agreement(job, progress) -> None:
    params = job.params
    progress(0, 3, "loading layers")
    computed = compute(
        job.project,
        layers=list(params["layers"]),
        gold=params.get("gold") or None,
        documents=params.get("documents") or None,
        finished_only=params.get("finished_only", True),
    )
    progress(2, 3, "saving")
    with transaction.atomic():
        report = AgreementReport.objects.create(
            project=job.project, job=job, params=params, created_by=job.user, **computed
        )
        pairs = computed["result"]["pairs"]
        complete(
            job,
            {"report": report.pk, "pairs": len(pairs)},
            message=f"Agreement of {len(computed['result']['annotators'])} layers measured.",
        )


def documents_by_id(ids) -> dict[int, Document]:
    return {d.pk: d for d in Document.objects.filter(pk__in=set(ids)).only("pk", "name")}
