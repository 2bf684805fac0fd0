"""A manager's label changes: add, rename, recolour, reorder, merge two labels, remove one.

Renaming, merging and removing rewrite the label's spans in every layer of the project (the
imported tags and models' suggestions too: they are the same label under a new name, and a
layer that kept the old one would speak a label the project no longer has). Each changed
sentence is recorded (TagChange, as a bulk relabel is) and its version rises, so an edit made
on the old tags is refused as stale. Merging and removing a used label are previewed first and
applied all or nothing: if the label's use changed since the preview, nothing is written.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from annotator import bulk
from annotator.models import Decision, Project, SentenceTags, TagChange, TagLayer
from annotator.nlp import labels as label_edits
from annotator.nlp import palette, scheme
from annotator.services import tagger_models
from annotator.services.labels import LabelError, pin_colours, valid_label

BATCH = 1000
SHOWN = 20  # sentences a preview shows
HISTORY_FIELDS = [
    "layer",
    "sentence",
    "user",
    "created_at",
    "action",
    "old_tags",
    "new_tags",
    "version",
    "state",
]


class PreviewOutdated(LabelError):
    """The label's spans changed between the preview and the confirmation."""


@dataclass
class Sample:
    document: str
    position: int
    layer: str
    tokens: list[str]
    old_tags: list[str]
    new_tags: list[str]

    @property
    def rows(self):
        return zip(self.tokens, self.old_tags, self.new_tags, strict=True)


@dataclass
class LabelPlan:
    """What changing `label` into `into` (None: removing it) would do."""

    label: str
    into: str | None
    spans: int = 0
    sentences: int = 0
    by_layer_kind: Counter = field(default_factory=Counter)  # spans per kind of layer
    samples: list[Sample] = field(default_factory=list)
    rows: Any = field(default_factory=hashlib.sha256)  # which rows, at which versions

    @property
    def kinds(self) -> list[tuple[str, int]]:
        """Spans per kind of layer (a list: a template would read a Counter's "items" as 0)."""
        return sorted(self.by_layer_kind.items())

    @property
    def token(self) -> str:
        """What the confirmation sends back: the spans counted and a digest of the rows they
        are in with their versions, so any edit of those rows since the preview shows."""
        return f"{self.spans}-{self.rows.hexdigest()[:16]}"


def _project(project_pk: int) -> Project:
    return Project.objects.select_for_update().get(pk=project_pk)


def _known(project: Project, label: str) -> str:
    if label not in project.labels:
        raise LabelError(f"{label!r} is not one of the project's labels")
    return label


def _rows_with(project: Project, label: str):
    """The tag rows of every layer of the project where `label` may occur (a text pre-filter
    in the database; the caller checks exactly)."""
    rows = SentenceTags.objects.filter(layer__document__project=project)
    if label.isascii() and '"' not in label and "\\" not in label:
        rows = rows.annotate(text=Cast("tags", TextField())).filter(text__contains=f'-{label}"')
    return rows.select_related("layer__document").order_by("layer_id", "sentence_id")


def _changes(project: Project, label: str, into: str | None, lock: bool = False):
    """(row, new tags, spans of the label) for each row the change touches."""
    rows = _rows_with(project, label)
    if lock:
        rows = rows.select_for_update(of=("self",))
    for row in rows.iterator(chunk_size=BATCH):
        doc_scheme = row.layer.document.scheme
        new_tags = label_edits.relabel(row.tags, doc_scheme, label, into)
        if new_tags != row.tags:
            yield row, new_tags, label_edits.count_spans(row.tags, doc_scheme, label)


def plan_label_change(*, project: Project, label: str, into: str | None) -> LabelPlan:
    """The preview: how many spans and sentences change, per kind of layer, and a few of them."""
    _known(project, label)
    plan = LabelPlan(label, into)
    shown = []
    for row, new_tags, spans in _changes(project, label, into):
        plan.spans += spans
        plan.sentences += 1
        plan.rows.update(f"{row.pk}:{row.version};".encode())
        plan.by_layer_kind[row.layer.get_kind_display()] += spans
        if len(shown) < SHOWN:
            shown.append((row, new_tags))
    sentences = {
        pk: (tokens, position)
        for pk, tokens, position in SentenceTags.objects.filter(
            pk__in=[row.pk for row, _ in shown]
        ).values_list("pk", "sentence__tokens", "sentence__position")
    }
    plan.samples = [
        Sample(
            row.layer.document.name,
            sentences[row.pk][1],
            row.layer.name,
            sentences[row.pk][0],
            row.tags,
            new_tags,
        )
        for row, new_tags in shown
    ]
    return plan


def _rewrite(
    project: Project, label: str, into: str | None, user, action: str, preview: str | None = None
) -> int:
    """Rewrite the label's spans in every layer, recorded per sentence; spans changed. With
    `preview` (the preview's token), nothing is written unless the label is used as it said."""
    by_layer: dict[int, list] = defaultdict(list)
    now = LabelPlan(label, into)
    for row, new_tags, count in _changes(project, label, into, lock=True):
        by_layer[row.layer_id].append((row, new_tags))
        now.spans += count
        now.rows.update(f"{row.pk}:{row.version};".encode())
    if preview is not None and now.token != preview:
        then = preview.split("-")[0]
        raise PreviewOutdated(
            f"{label} is used differently since the preview ({now.spans} spans now, "
            f"{then} then); nothing was changed. Look at the new preview"
        )
    spans = now.spans
    for changes in by_layer.values():
        _write_layer(changes, user, action)
    return spans


def _write_layer(changes: list, user, action: str) -> None:
    """Bulk writes: an UPDATE per 1,000 rows, the history by COPY (PostgreSQL)."""
    layer = changes[0][0].layer
    doc_scheme = layer.document.scheme
    rows, history, delta = [], [], 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    user_id = user.pk if user else None
    for row, new_tags in changes:
        invalid = scheme.invalid_positions(new_tags, doc_scheme) or None
        delta += len(invalid or ()) - len(row.invalid or ())
        rows.append((row.pk, bulk.dump_json(new_tags), row.version + 1, bulk.dump_json(invalid)))
        history.append(
            (
                layer.pk,
                row.sentence_id,
                user_id,
                now,
                action[:255],
                bulk.dump_json(row.tags),
                bulk.dump_json(new_tags),
                row.version + 1,
                TagChange.State.LOG.value,
            )
        )
    bulk.update_rows(SentenceTags, ["tags", "version", "invalid"], rows)
    bulk.insert_rows(TagChange, HISTORY_FIELDS, history)
    if delta:
        TagLayer.objects.filter(pk=layer.pk).update(invalid_count=F("invalid_count") + delta)


def _rename_elsewhere(project: Project, label: str, into: str | None) -> None:
    """Decisions and models' settings (a spaCy mapping) name labels too: they follow a
    rename or a merge."""
    if into is None:
        return
    changed = []
    for decision in Decision.objects.filter(layer__document__project=project):
        chosen = [[*s[:2], into if s[2] == label else s[2], *s[3:]] for s in decision.chosen]
        rejected = [[*s[:2], into if s[2] == label else s[2], *s[3:]] for s in decision.rejected]
        if chosen != decision.chosen or rejected != decision.rejected:
            decision.chosen, decision.rejected = chosen, rejected
            changed.append(decision)
    Decision.objects.bulk_update(changed, ["chosen", "rejected"], batch_size=500)
    tagger_models.rename_label(project, label, into)


# --- the changes ----------------------------------------------------------------------------


@transaction.atomic
def add_label(*, project: Project, name: str, colour: int | None = None) -> str:
    project = _project(project.pk)
    name = valid_label(name)
    if name in project.labels:
        raise LabelError(f"{name} is already a label")
    pin_colours(project)
    project.labels = [*project.labels, name]
    if colour is not None:
        project.label_colours[name] = _colour(colour)
    pin_colours(project)
    project.save(update_fields=["labels", "label_colours"])
    return name


@transaction.atomic
def rename_label(*, user: AbstractBaseUser, project: Project, label: str, new_name: str) -> int:
    """Rename a label everywhere; its spans, colour and key stay. Spans renamed."""
    project = _project(project.pk)
    _known(project, label)
    new_name = valid_label(new_name)
    if new_name == label:
        return 0
    if new_name in project.labels:
        raise LabelError(f"{new_name} is already a label: merge {label} into it instead")
    pin_colours(project)
    spans = _rewrite(project, label, new_name, user, f"rename label {label} to {new_name}")
    _rename_elsewhere(project, label, new_name)
    project.labels = [new_name if x == label else x for x in project.labels]
    project.label_colours[new_name] = project.label_colours.pop(label)
    project.save(update_fields=["labels", "label_colours"])
    return spans


@transaction.atomic
def set_colour(*, project: Project, label: str, colour: int) -> None:
    project = _project(project.pk)
    _known(project, label)
    pin_colours(project)
    project.label_colours[label] = _colour(colour)
    project.save(update_fields=["label_colours"])


def _colour(colour: int) -> int:
    if colour not in range(len(palette.PALETTE)):
        raise LabelError(f"colour {colour} is not in the palette (0-{len(palette.PALETTE) - 1})")
    return colour


@transaction.atomic
def move_label(*, project: Project, label: str, offset: int) -> None:
    """Move a label up (-1) or down (+1) in the order, which gives the labels their keys."""
    project = _project(project.pk)
    _known(project, label)
    pin_colours(project)  # colours stay with their labels
    labels = list(project.labels)
    at = labels.index(label)
    to = min(max(at + offset, 0), len(labels) - 1)
    labels.insert(to, labels.pop(at))
    project.labels = labels
    project.save(update_fields=["labels", "label_colours"])


@transaction.atomic
def merge_labels(
    *, user: AbstractBaseUser, project: Project, label: str, into: str, preview: str
) -> int:
    """Every span of `label` becomes `into`, and `label` goes; all or nothing, as previewed."""
    project = _project(project.pk)
    _known(project, label)
    _known(project, into)
    if label == into:
        raise LabelError("pick two different labels to merge")
    spans = _rewrite(project, label, into, user, f"merge label {label} into {into}", preview)
    _rename_elsewhere(project, label, into)
    _drop(project, label)
    return spans


@transaction.atomic
def remove_label(*, user: AbstractBaseUser, project: Project, label: str, preview: str) -> int:
    """Remove a label and its spans (they become O) everywhere; as previewed."""
    project = _project(project.pk)
    _known(project, label)
    spans = _rewrite(project, label, None, user, f"remove label {label}", preview)
    _drop(project, label)
    return spans


def _drop(project: Project, label: str) -> None:
    pin_colours(project)
    project.labels = [x for x in project.labels if x != label]
    project.label_colours.pop(label, None)
    project.save(update_fields=["labels", "label_colours"])
