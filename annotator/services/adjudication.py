"""Adjudication: settle the annotators' layers of a document into its gold layer.

Spans enough annotators agree on (the project's rule: a majority, or all) go into gold unasked;
the rest are disputes that a reviewer settles one by one (take a reading, take nothing, or keep
gold as edited by hand). Each settlement is a `Decision` row and a history entry of gold, so a
rejected span is recorded, not lost, and rebuilding gold from the votes keeps every decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotator import access
from annotator.models import Decision, Document, SentenceTags, TagChange, TagLayer
from annotator.nlp import adjudication, scheme
from annotator.nlp.scheme import Span
from annotator.services.agreement import covered_by, task_ranges
from annotator.services.corpus import GOLD
from annotator.services.editing import (
    EditRejected,
    _check_version,
    _write,
    ensure_working_layer,
    gold_writer,
    write_many,
)
from annotator.services.jobs import complete

KIND = "majority-vote"
TIE_LIMIT = 500


@dataclass
class Item:
    """One sentence to adjudicate: who read it how, the vote, gold now and what was decided."""

    sentence_id: int
    position: int
    tokens: list[str]
    readings: dict[str, list[str]]
    vote: adjudication.Vote
    gold: list[str] | None
    gold_version: int | None
    decided: dict[tuple[int, int], Decision]

    @property
    def open_disputes(self) -> list[adjudication.Dispute]:
        return [d for d in self.vote.disputes if (d.start, d.end) not in self.decided]


def annotator_layer_names(document: Document) -> list[str]:
    kinds = (TagLayer.Kind.ANNOTATOR,)
    layers = document.layers.filter(kind__in=kinds).order_by("name")
    return list(layers.values_list("name", flat=True))


def load_items(
    document: Document,
    *,
    names: list[str] | None = None,
    rule: str | None = None,
    finished_only: bool = True,
    positions: Iterable[int] | None = None,
) -> list[Item]:
    """Every sentence that at least one of the layers annotated, with its vote, in order."""
    names = names or annotator_layer_names(document)
    rule = rule or document.project.adjudication_rule
    layers = {
        layer.pk: layer
        for layer in document.layers.filter(name__in=[*names, GOLD]).only("pk", "name", "kind")
    }
    by_name = {layer.name: layer for layer in layers.values()}
    gold = by_name.get(GOLD)
    annotator_ids = [by_name[n].pk for n in names if n in by_name]
    ranges = task_ranges(
        [pk for pk in annotator_ids if layers[pk].kind == TagLayer.Kind.ANNOTATOR],
        finished_only=finished_only,
    )
    rows = SentenceTags.objects.filter(layer_id__in=layers).order_by("sentence__position")
    if positions is not None:
        rows = rows.filter(sentence__position__in=list(positions))
    found: dict[int, dict] = {}
    for layer_id, sentence_id, position, tokens, tags, version in rows.values_list(
        "layer_id", "sentence_id", "sentence__position", "sentence__tokens", "tags", "version"
    ):
        entry = found.setdefault(
            sentence_id, {"position": position, "tokens": tokens, "readings": {}}
        )
        layer = layers[layer_id]
        if gold is not None and layer_id == gold.pk:
            entry["gold"], entry["gold_version"] = tags, version
        elif layer.kind != TagLayer.Kind.ANNOTATOR or covered_by(
            ranges.get(layer_id, ()), position
        ):
            entry["readings"][layer.name] = tags
    decisions = _decisions(gold, found)
    items = []
    for sentence_id, entry in found.items():
        if not entry["readings"]:
            continue
        readings = {n: entry["readings"][n] for n in names if n in entry["readings"]}
        items.append(
            Item(
                sentence_id=sentence_id,
                position=entry["position"],
                tokens=entry["tokens"],
                readings=readings,
                vote=adjudication.vote(readings, scheme=document.scheme, rule=rule),
                gold=entry.get("gold"),
                gold_version=entry.get("gold_version"),
                decided=decisions.get(sentence_id, {}),
            )
        )
    return items


def _decisions(gold: TagLayer | None, found: dict) -> dict[int, dict]:
    if gold is None:
        return {}
    latest: dict[int, dict] = {}
    rows = (
        Decision.objects.filter(layer=gold, sentence_id__in=found)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    for decision in rows:
        latest.setdefault(decision.sentence_id, {})[decision.start, decision.end] = decision
    return latest


def proposed_tags(item: Item, doc_scheme: str) -> list[str]:
    """The vote's tags with every recorded decision laid over its region."""
    tags = item.vote.tags
    for decision in item.decided.values():
        chosen = [Span(*span) for span in decision.chosen]
        tags = _replace_region(tags, doc_scheme, decision.start, decision.end, chosen)
    return tags


def _replace_region(tags: list[str], doc_scheme: str, start: int, end: int, chosen: list[Span]):
    kept = [s for s in scheme.spans(tags, doc_scheme) if s.end <= start or s.start >= end]
    return scheme.tags_from_spans([*kept, *chosen], len(tags), doc_scheme)


def hand_edited(gold: TagLayer) -> set[int]:
    """Sentences of gold that someone edited by hand (not by adjudicating) and did not undo."""
    edits = TagChange.objects.filter(layer=gold, state=TagChange.State.DONE).exclude(
        action__startswith="adjudicate"
    )
    return set(edits.values_list("sentence_id", flat=True))


@transaction.atomic
def apply_agreed(
    *,
    user: AbstractBaseUser | None,
    document: Document,
    names: list[str] | None = None,
    rule: str | None = None,
    finished_only: bool = True,
    who: access.Access | None = None,
) -> tuple[int, list[tuple[Item, adjudication.Dispute]]]:
    """Write the agreed spans (and earlier decisions) into gold; returns (changed, open ties).

    Sentences a reviewer edited in gold by hand keep those edits; their disputes stay listed.
    """
    who = gold_writer(who, user, document.project)
    rule = rule or document.project.adjudication_rule
    items = load_items(document, names=names, rule=rule, finished_only=finished_only)
    gold = ensure_working_layer(document, GOLD)
    gold.document = document
    rows = {
        row.sentence_id: row
        for row in SentenceTags.objects.select_for_update().filter(
            layer=gold, sentence_id__in=[item.sentence_id for item in items]
        )
    }
    by_hand = hand_edited(gold)
    changes = [
        (rows[item.sentence_id], proposed_tags(item, document.scheme))
        for item in items
        if item.sentence_id not in by_hand  # a reviewer's own edits of gold stay
    ]
    changed = write_many(gold, changes, who, f"adjudicate: agreed spans ({rule})")
    ties = [(item, dispute) for item in items for dispute in item.open_disputes]
    return changed, ties


@transaction.atomic
def decide(
    *,
    user: AbstractBaseUser,
    document: Document,
    sentence_id: int,
    start: int,
    end: int,
    choice: str,
    version: int | None,
    names: list[str] | None = None,
    finished_only: bool = True,
    who: access.Access | None = None,
) -> Item:
    """Settle one dispute: choice is "reading-N" (take that reading), "nothing", or "keep"."""
    who = gold_writer(who, user, document.project)
    position = document.sentences.filter(pk=sentence_id).values_list("position", flat=True)
    items = load_items(document, names=names, finished_only=finished_only, positions=position)
    item = next((i for i in items if i.sentence_id == sentence_id), None)
    dispute = item and next(
        (d for d in item.vote.disputes if (d.start, d.end) == (start, end)), None
    )
    if dispute is None:
        raise EditRejected("there is no such disagreement in this sentence any more")
    gold = ensure_working_layer(document, GOLD)
    gold.document = document
    row = (
        SentenceTags.objects.select_for_update()
        .select_related("sentence")
        .get(layer=gold, sentence_id=sentence_id)
    )
    _check_version(row, version)
    chosen, voters, what = _chosen(row.tags, document.scheme, dispute, choice)
    offered: dict[Span, list[str]] = {}
    for reading in dispute.readings:
        for span in reading.spans:
            offered.setdefault(span, []).extend(reading.voters)
    rejected = [[*_plain(span), who] for span, who in offered.items() if span not in chosen]
    tags = _replace_region(row.tags, document.scheme, start, end, chosen)
    _write(row, gold, tags, who, f"adjudicate: {what} at tokens {start + 1}-{end}")
    Decision.objects.create(
        layer=gold,
        sentence_id=sentence_id,
        start=start,
        end=end,
        chosen=[_plain(span) for span in chosen],
        rejected=rejected,
        voters=list(voters),
        user=who.user,
    )
    return load_items(document, names=names, finished_only=finished_only, positions=position)[0]


def _chosen(gold_tags, doc_scheme: str, dispute, choice: str) -> tuple[list[Span], tuple, str]:
    if choice == "nothing":
        return [], (), "nothing"
    if choice == "keep":
        inside = [
            s
            for s in scheme.spans(gold_tags, doc_scheme)
            if s.start >= dispute.start and s.end <= dispute.end
        ]
        return inside, (), "kept gold as edited"
    if choice.startswith("reading-"):
        try:
            reading = dispute.readings[int(choice.removeprefix("reading-"))]
        except (ValueError, IndexError) as error:
            raise EditRejected("no such reading") from error
        return list(reading.spans), reading.voters, "took " + ", ".join(reading.voters)
    raise EditRejected(f"unknown choice {choice!r}")


def _plain(span: Span) -> list:
    return [span.start, span.end, span.label]


def run_majority_vote(job, progress) -> None:
    """Build gold by vote on the chosen documents; ties stay open and are listed."""
    params = job.params
    documents = job.project.documents.order_by("position")
    if params.get("documents"):
        documents = documents.filter(pk__in=params["documents"])
    documents = list(documents)
    changed, ties, listed = 0, 0, []
    who = gold_writer(None, job.user, job.project)  # the rule, asked once for the whole job
    with transaction.atomic():
        for done, document in enumerate(documents):
            progress(done, len(documents), document.name)
            n, open_ties = apply_agreed(
                user=job.user,
                document=document,
                names=params.get("layers") or None,
                rule=params.get("rule", "majority"),
                finished_only=params.get("finished_only", True),
                who=who,
            )
            changed += n
            ties += len(open_ties)
            for item, dispute in open_ties[: max(0, TIE_LIMIT - len(listed))]:
                listed.append(_tie(document, item, dispute))
        complete(
            job,
            {"documents": len(documents), "changed": changed, "ties": ties, "tie_list": listed},
            message=f"Gold built by vote: {changed} sentences changed, {ties} ties left open.",
        )


def _tie(document: Document, item: Item, dispute) -> dict:
    return {
        "document": document.pk,
        "name": document.name,
        "position": item.position,
        "start": dispute.start,
        "end": dispute.end,
        "text": " ".join(item.tokens[dispute.start : dispute.end]),
        "readings": [
            {"spans": [_plain(s) for s in r.spans], "voters": list(r.voters)}
            for r in dispute.readings
        ],
    }
