"""Tag edits: one sentence of one layer at a time, versioned, recorded, undoable.

Every write locks the sentence's row, asks the layer rule (access.py: who may write which
layer, at which sentence; a refusal raises access.WriteRefused, which pages and the API answer
with 403 and its reason), checks the version the client saw (a stale edit raises StaleEdit,
which the views answer with 409 and the current sentence), writes the new tags and records a
TagChange in the same transaction. `_write`, `write_many` and `mark_reviewed` are the only
places tags and review marks of a layer change, and each asks the rule itself.

Each service takes `who` (the caller's access.Access, so pages ask no extra query) or, without
it, builds it from `user`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F

from annotator import access, prepared, search
from annotator.models import Document, Project, Sentence, SentenceTags, TagChange, TagLayer
from annotator.nlp import edits, scheme
from annotator.services import edit_lookup
from annotator.services.corpus import GOLD, IMPORTED


class StaleEdit(Exception):
    """The sentence changed since the client loaded it; `row` is its current state."""

    def __init__(self, row: SentenceTags, message: str):
        super().__init__(message)
        self.row = row


class EditRejected(ValueError):
    """The edit is not allowed or does not fit the sentence; the message says why."""


OPERATIONS = {
    "label": lambda tags, s, start, end, label: edits.label(tags, s, start, end, label),
    "remove": lambda tags, s, start, end, label: edits.remove(tags, s, start, end),
    "split": lambda tags, s, start, end, label: edits.split(tags, s, start),
    "merge": lambda tags, s, start, end, label: edits.merge(tags, s, start, end),
    "repair-start": lambda tags, s, start, end, label: edits.repair_start(tags, s, start),
    "repair-join": lambda tags, s, start, end, label: edits.repair_join(tags, s, start),
}


def ensure_working_layer(document: Document, name: str = GOLD, source: str = IMPORTED) -> TagLayer:
    """The editable layer `name`, created as a copy of layer `source` if it does not exist.

    Copied in one INSERT ... SELECT, so versions match the source rows a page may show.
    """
    layer, created = TagLayer.objects.get_or_create(
        document=document, name=name, defaults={"kind": _kind_for(name)}
    )
    if created:
        origin = TagLayer.objects.get(document=document, name=source)
        table = SentenceTags._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (layer_id, sentence_id, tags, invalid, version, reviewed) "  # noqa: S608
                f"SELECT %s, sentence_id, tags, invalid, version, %s FROM {table} "
                "WHERE layer_id = %s",
                [layer.pk, False, origin.pk],
            )
        layer.invalid_count = origin.invalid_count
        layer.save(update_fields=["invalid_count"])
    return layer


def _kind_for(name: str) -> str:
    return TagLayer.Kind.GOLD if name == GOLD else TagLayer.Kind.ANNOTATOR


def _locked_row(layer: TagLayer, sentence_id: int) -> SentenceTags:
    try:
        return (
            SentenceTags.objects.select_for_update()
            .select_related("sentence")
            .get(layer=layer, sentence_id=sentence_id)
        )
    except SentenceTags.DoesNotExist as error:
        raise EditRejected("this sentence is not in this layer") from error


def _check_version(row: SentenceTags, version: int | None) -> None:
    if version is not None and row.version != version:
        who = (
            TagChange.objects.filter(layer_id=row.layer_id, sentence_id=row.sentence_id)
            .select_related("user")
            .last()
        )
        by = f" by {who.user}" if who and who.user else ""
        raise StaleEdit(row, f"This sentence was changed{by} since you loaded it; here it is now.")


def _writer(who: access.Access | None, user: AbstractBaseUser | None, layer: TagLayer):
    """The caller's access, or the user's, asked once: may they write this layer at all?"""
    if who is None:
        who = access.writer(user=user, project=layer.document.project)
    elif who.project.pk != layer.document.project_id:  # an access of another project
        raise access.WriteRefused("This layer is not in the project you are working in.")
    who.require_write(layer)
    return who


def _editable_row(
    who: access.Access, layer: TagLayer, sentence_id: int, version: int | None
) -> SentenceTags:
    """The sentence's row, locked, that `who` may write, at the version the client saw."""
    row = _locked_row(layer, sentence_id)
    who.require_write(layer, _at(layer, row))
    _check_version(row, version)
    return row


def _at(layer: TagLayer, row: SentenceTags) -> list[int] | None:
    """The row's position where the rule needs it (annotators' layers: per task)."""
    return [row.sentence.position] if layer.kind == TagLayer.Kind.ANNOTATOR else None


def gold_writer(
    who: access.Access | None, user: AbstractBaseUser | None, project: Project
) -> access.Access:
    """The access of someone about to write gold (which may not exist yet), asked first."""
    if who is None:
        who = access.writer(user=user, project=project)
    who.require_write(TagLayer(name=GOLD, kind=TagLayer.Kind.GOLD))
    return who


def _positions(layer: TagLayer, rows: Sequence[SentenceTags]) -> list[int] | None:
    """The rows' sentence positions where the rule needs them (annotators' layers: per task)."""
    if layer.kind != TagLayer.Kind.ANNOTATOR:
        return None
    ids = [row.sentence_id for row in rows]
    return list(Sentence.objects.filter(pk__in=ids).values_list("position", flat=True))


def _end_redo_chain(layer: TagLayer, user: AbstractBaseUser) -> None:
    """A new edit ends the author's redo chain in this layer."""
    TagChange.objects.filter(layer=layer, user=user, state=TagChange.State.UNDONE).update(
        state=TagChange.State.DROPPED
    )


def _write(
    row: SentenceTags,
    layer: TagLayer,
    new_tags: list[str],
    who: access.Access,
    action: str,
    state: str = TagChange.State.DONE,
) -> TagChange | None:
    """Store new tags with their history entry; a no-op edit writes nothing. `row` is locked,
    with its sentence loaded."""
    who.require_write(layer, _at(layer, row))
    if new_tags == row.tags:
        return None
    old_invalid = len(row.invalid or ())
    old_tags = row.tags
    row.tags = new_tags
    row.version += 1
    row.invalid = scheme.invalid_positions(new_tags, layer.document.scheme) or None
    _save_tags(row)
    delta = len(row.invalid or ()) - old_invalid
    if delta:
        TagLayer.objects.filter(pk=layer.pk).update(invalid_count=F("invalid_count") + delta)
        layer.invalid_count += delta  # what the page shows next; the row is exact
    change = TagChange(
        layer=layer,
        sentence_id=row.sentence_id,
        user=who.user,
        action=action[:255],
        old_tags=old_tags,
        new_tags=new_tags,
        version=row.version,
        state=state,
    )
    _insert_change(change)
    return change


def _save_tags(row: SentenceTags) -> None:
    """`row.save(update_fields=["tags", "version", "invalid"])` as one plain UPDATE: the same
    values, prepared by the fields themselves, without the model's save machinery (no signal
    listens to SentenceTags), which cost more than the statement on every edit."""
    values = [
        field.get_db_prep_save(getattr(row, field.attname), connection) for field in SAVED_FIELDS
    ]
    with prepared.cursor() as cursor:
        cursor.execute(SAVE_TAGS, [*values, row.pk])


SAVED_FIELDS = [SentenceTags._meta.get_field(name) for name in ("tags", "version", "invalid")]
SAVE_TAGS = "UPDATE {} SET {} WHERE id = %s".format(  # noqa: S608 (names from the model)
    SentenceTags._meta.db_table,
    ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in SAVED_FIELDS),
)


def _insert_change(change: TagChange) -> None:
    """`change.save(force_insert=True)` as one plain INSERT, for the same reason as
    `_save_tags` (no signal listens to TagChange): each field prepares its value as in a save
    (`created_at` is set now), and the new row's id comes back with it."""
    values = [
        field.get_db_prep_save(field.pre_save(change, add=True), connection)
        for field in INSERTED_FIELDS
    ]
    with prepared.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            cursor.execute(INSERT_CHANGE + RETURNING_ID, values)
            change.pk = cursor.fetchone()[0]
        else:
            cursor.execute(INSERT_CHANGE, values)
            change.pk = connection.ops.last_insert_id(cursor, TagChange._meta.db_table, "id")
    change._state.adding, change._state.db = False, connection.alias


INSERTED_FIELDS = [f for f in TagChange._meta.concrete_fields if not f.primary_key]
INSERT_CHANGE = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names from the model)
    TagChange._meta.db_table,
    ", ".join(connection.ops.quote_name(f.column) for f in INSERTED_FIELDS),
    ", ".join(["%s"] * len(INSERTED_FIELDS)),
)
RETURNING_ID = " RETURNING id"


def write_many(
    layer: TagLayer,
    changes: Iterable[tuple[SentenceTags, list[str]]],
    who: access.Access,
    action: str,
    state: str = TagChange.State.LOG,
) -> int:
    """`_write` for many locked rows at once: bulk statements, one history entry per row that
    changes (take all, approve into gold, adjudicate a document touch thousands)."""
    changes = [(row, tags) for row, tags in changes if tags != row.tags]
    who.require_write(layer, _positions(layer, [row for row, _ in changes]))
    doc_scheme = layer.document.scheme
    rows, history, delta = [], [], 0
    for row, new_tags in changes:
        old_invalid = len(row.invalid or ())
        history.append(
            TagChange(
                layer=layer,
                sentence_id=row.sentence_id,
                user=who.user,
                action=action[:255],
                old_tags=row.tags,
                new_tags=new_tags,
                version=row.version + 1,
                state=state,
            )
        )
        row.tags, row.version = new_tags, row.version + 1
        row.invalid = scheme.invalid_positions(new_tags, doc_scheme) or None
        delta += len(row.invalid or ()) - old_invalid
        rows.append(row)
    SentenceTags.objects.bulk_update(rows, ["tags", "version", "invalid"], batch_size=500)
    TagChange.objects.bulk_create(history, batch_size=1000)
    if delta:
        TagLayer.objects.filter(pk=layer.pk).update(invalid_count=F("invalid_count") + delta)
        layer.invalid_count += delta
    return len(rows)


@transaction.atomic
def edit_sentence(
    *,
    user: AbstractBaseUser,
    layer: TagLayer,
    sentence_id: int,
    version: int | None,
    operation: str,
    start: int,
    end: int,
    label: str | None = None,
    who: access.Access | None = None,
) -> SentenceTags:
    """Apply one span operation; the B-/I- prefixes follow from the spans."""
    who = _writer(who, user, layer)
    _check_operation(layer, operation, label)
    row = _editable_row(who, layer, sentence_id, version)
    _apply(who, layer, row, (operation, start, end, label))
    return row


def _check_operation(layer: TagLayer, operation: str, label: str | None) -> None:
    if operation not in OPERATIONS:
        raise EditRejected(f"unknown operation {operation!r}")
    if operation == "label" and label not in layer.document.project.labels:
        raise EditRejected(f"{label!r} is not one of the project's labels")


def _apply(
    who: access.Access,
    layer: TagLayer,
    row: SentenceTags,
    edit: tuple[str, int, int, str | None],
    redo_chain: bool = True,
) -> None:
    """Write one span operation to a locked, writable row; `redo_chain`: whether the author may
    have undone edits in the layer (a redo chain this edit ends)."""
    operation, start, end, label = edit
    try:
        new_tags = OPERATIONS[operation](row.tags, layer.document.scheme, start, end, label)
    except edits.EditError as error:
        raise EditRejected(str(error)) from error
    if _write(row, layer, new_tags, who, operation) and redo_chain:
        _end_redo_chain(layer, who.user)


@dataclass
class Edited:
    """What an edit by name wrote, with what the answer renders."""

    document: Document
    who: access.Access
    layer: TagLayer
    row: SentenceTags


@transaction.atomic
def edit_named_sentence(
    *,
    user: AbstractBaseUser,
    document_pk: int,
    layer_name: str,
    sentence_id: int,
    version: int,
    operation: str,
    start: int,
    end: int,
    label: str | None = None,
) -> Edited | None:
    """`edit_sentence` for a page or API request that names the document and the layer, in few
    statements: the sentence's row is locked and read with its layer, document, project, the
    user's roles and tasks and whether they have undone edits there, in one SELECT
    (edit_lookup.locked_row); the layer rule is
    asked of that (`access.loaded_edit_target`, then as `edit_sentence` asks it); then the
    UPDATE and the history INSERT. None, having written nothing, when there is no such row
    (gold before its first edit, a layer or sentence that is not there): the caller then
    goes the long way, `access.edit_target` and `edit_sentence`, which create gold or say why.
    """
    name = GOLD if access.edits_gold(layer_name) else layer_name
    found = edit_lookup.locked_row(user, document_pk, name, sentence_id)
    if found is None:
        return None
    row, roles, tasks, has_undone = found
    layer = row.layer
    who = access.loaded_edit_target(
        user=user, layer=layer, layer_name=layer_name, roles=roles, tasks=tasks
    )
    _check_operation(layer, operation, label)
    who.require_write(layer, _at(layer, row))
    _check_version(row, version)
    _apply(who, layer, row, (operation, start, end, label), redo_chain=has_undone)
    return Edited(layer.document, who, layer, row)


@transaction.atomic
def replace_tags(
    *,
    user: AbstractBaseUser,
    layer: TagLayer,
    sentence_id: int,
    version: int | None,
    tags: Sequence[str],
    action: str,
    who: access.Access | None = None,
    undoable: bool = False,
) -> SentenceTags:
    """Set a sentence's tags wholesale, checked and recorded; in the undo stack if `undoable`
    (a reviewer's own act, as accepting suggestions), else a log entry only."""
    who = _writer(who, user, layer)
    row = _editable_row(who, layer, sentence_id, version)
    tags = list(tags)
    if len(tags) != len(row.tags):
        raise EditRejected("the new tags do not match the sentence's length")
    for tag in tags:
        try:
            scheme.parse_tag(tag)
        except scheme.TagError as error:
            raise EditRejected(str(error)) from error
    state = TagChange.State.DONE if undoable else TagChange.State.LOG
    if _write(row, layer, tags, who, action, state=state) and undoable:
        _end_redo_chain(layer, who.user)
    return row


@transaction.atomic
def undo(
    *, user: AbstractBaseUser, layer: TagLayer, who: access.Access | None = None
) -> SentenceTags | None:
    """Undo the user's latest edit in the layer; None if there is nothing to undo."""
    who = _writer(who, user, layer)
    change = (
        TagChange.objects.select_for_update()
        .filter(layer=layer, user=who.user, state=TagChange.State.DONE)
        .order_by("-pk")
        .first()
    )
    if change is None:
        return None
    row = _locked_row(layer, change.sentence_id)
    if row.tags != change.new_tags:
        raise StaleEdit(row, "Someone changed this sentence after your edit; it was not undone.")
    entry = _write(row, layer, change.old_tags, who, "undo", state=TagChange.State.LOG)
    if entry is not None:
        entry.reverts = change
        entry.save(update_fields=["reverts"])
    change.state = TagChange.State.UNDONE
    change.save(update_fields=["state"])
    return row


@transaction.atomic
def redo(
    *, user: AbstractBaseUser, layer: TagLayer, who: access.Access | None = None
) -> SentenceTags | None:
    """Redo the user's latest undone edit in the layer; None if there is nothing to redo."""
    who = _writer(who, user, layer)
    # The most recently undone change: the one whose undo entry is newest.
    entry = (
        TagChange.objects.select_for_update()
        .select_related("reverts")
        .filter(layer=layer, user=who.user, action="undo", reverts__state=TagChange.State.UNDONE)
        .order_by("-pk")
        .first()
    )
    if entry is None:
        return None
    change = entry.reverts
    row = _locked_row(layer, change.sentence_id)
    if row.tags != change.old_tags:
        raise StaleEdit(row, "Someone changed this sentence after your undo; it was not redone.")
    _write(row, layer, change.new_tags, who, "redo", state=TagChange.State.LOG)
    change.state = TagChange.State.DONE
    change.save(update_fields=["state"])
    return row


@transaction.atomic
def mark_reviewed(
    *,
    user: AbstractBaseUser,
    layer: TagLayer,
    sentence_id: int,
    reviewed: bool = True,
    who: access.Access | None = None,
) -> SentenceTags:
    """Mark a sentence of a layer reviewed (or not): a write of the layer, by the same rule."""
    who = _writer(who, user, layer)
    row = _editable_row(who, layer, sentence_id, None)
    if row.reviewed != reviewed:
        row.reviewed = reviewed
        row.save(update_fields=["reviewed"])
        step = 1 if reviewed else -1
        TagLayer.objects.filter(pk=layer.pk).update(reviewed_count=F("reviewed_count") + step)
        layer.reviewed_count += step
        TagChange.objects.create(
            layer=layer,
            sentence_id=sentence_id,
            user=who.user,
            action="reviewed" if reviewed else "unreviewed",
            old_tags=row.tags,
            new_tags=row.tags,
            version=row.version,
            state=TagChange.State.LOG,
        )
    return row


@dataclass
class Planned:
    """One sentence a bulk relabel would change."""

    sentence_id: int
    document_name: str
    position: int
    tokens: list[str]
    old_tags: list[str]
    new_tags: list[str]
    version: int = 0

    @property
    def rows(self):
        return zip(self.tokens, self.old_tags, self.new_tags, strict=True)


def plan_relabel(
    occurrences: Sequence[search.Occurrence], label: str | None, scheme_of: dict[int, str]
) -> list[Planned]:
    """What relabelling the occurrences as `label` (None: no entity) would change, per sentence."""
    by_sentence: dict[int, list[search.Occurrence]] = {}
    for occurrence in occurrences:
        by_sentence.setdefault(occurrence.sentence_id, []).append(occurrence)
    plans = []
    for found in by_sentence.values():
        first = found[0]
        doc_scheme = scheme_of[first.document_id]
        tags = list(first.tags)
        for occurrence in found:
            if label:
                tags = edits.label(tags, doc_scheme, occurrence.start, occurrence.end, label)
            else:
                tags = edits.remove(tags, doc_scheme, occurrence.start, occurrence.end)
        if tags != first.tags:
            plans.append(
                Planned(
                    first.sentence_id,
                    first.document_name,
                    first.position,
                    first.tokens,
                    first.tags,
                    tags,
                )
            )
    return plans


@transaction.atomic
def relabel(
    *,
    user: AbstractBaseUser,
    project: Project,
    occurrences: Sequence[search.Occurrence],
    label: str | None,
    who: access.Access | None = None,
) -> int:
    """Apply a bulk relabel to the gold layers, all or nothing; returns sentences changed.

    Each occurrence carries the version it was found at: if any sentence changed since, nothing
    is written and StaleEdit says so.
    """
    who = gold_writer(who, user, project)
    if label and label not in project.labels:
        raise EditRejected(f"{label!r} is not one of the project's labels")
    documents = {
        d.pk: d for d in project.documents.filter(pk__in={o.document_id for o in occurrences})
    }
    plans = plan_relabel(occurrences, label, {pk: d.scheme for pk, d in documents.items()})
    versions = {o.sentence_id: o.version for o in occurrences}
    layers = {pk: ensure_working_layer(document) for pk, document in documents.items()}
    rows = {
        row.sentence_id: row
        for row in SentenceTags.objects.select_for_update()
        .select_related("layer__document", "sentence")
        .filter(layer__in=layers.values(), sentence_id__in=[p.sentence_id for p in plans])
    }
    stale = [p for p in plans if rows[p.sentence_id].version != versions[p.sentence_id]]
    if stale:
        raise StaleEdit(
            rows[stale[0].sentence_id],
            f"{len(stale)} of these sentences changed since the search; nothing was relabelled. "
            "Search again to see them as they are now.",
        )
    for plan in plans:
        row = rows[plan.sentence_id]
        _write(row, row.layer, plan.new_tags, who, "bulk-relabel", state=TagChange.State.LOG)
    return len(plans)


def plan_repair(layer: TagLayer) -> list[Planned]:
    """Every flagged sentence of a layer with its repair (a span starts at each stray tag)."""
    doc_scheme = layer.document.scheme
    rows = (
        SentenceTags.objects.filter(layer=layer, invalid__isnull=False)
        .order_by("sentence__position")
        .values_list("sentence_id", "sentence__position", "sentence__tokens", "tags", "version")
    )
    plans = []
    for sentence_id, position, tokens, tags, version in rows:
        new_tags = edits.repair_all(tags, doc_scheme)
        plans.append(
            Planned(sentence_id, layer.document.name, position, tokens, tags, new_tags, version)
        )
    return plans


@transaction.atomic
def repair_document(
    *,
    user: AbstractBaseUser,
    layer: TagLayer,
    versions: dict[int, int],
    who: access.Access | None = None,
) -> int:
    """Repair the previewed sentences (id -> version seen); all or nothing."""
    who = _writer(who, user, layer)
    rows = list(
        SentenceTags.objects.select_for_update()
        .select_related("sentence")
        .filter(layer=layer, sentence_id__in=versions)
    )
    stale = [row for row in rows if row.version != versions[row.sentence_id]]
    if stale or len(rows) != len(versions):
        raise StaleEdit(
            stale[0] if stale else None,
            "Some of these sentences changed since the preview; nothing was repaired.",
        )
    for row in rows:
        _write(
            row,
            layer,
            edits.repair_all(row.tags, layer.document.scheme),
            who,
            "repair-all",
            state=TagChange.State.LOG,
        )
    return len(rows)


@transaction.atomic
def take_region(
    *,
    user: AbstractBaseUser,
    layer: TagLayer,
    source: TagLayer,
    sentence_id: int,
    version: int | None,
    start: int,
    end: int,
    who: access.Access | None = None,
) -> SentenceTags:
    """Copy another layer's tags for tokens [start, end) into `layer` (compare: take left/right)."""
    who = _writer(who, user, layer)
    row = _editable_row(who, layer, sentence_id, version)
    if not 0 <= start < end <= len(row.tags):
        raise EditRejected(f"range {start}-{end} is outside the sentence")
    taken = SentenceTags.objects.get(layer=source, sentence_id=sentence_id).tags[start:end]
    new_tags = row.tags[:start] + taken + row.tags[end:]
    if _write(row, layer, new_tags, who, f"take {source.name}"):
        _end_redo_chain(layer, who.user)
    return row


@transaction.atomic
def take_layer(
    *,
    user: AbstractBaseUser,
    layer: TagLayer,
    source: TagLayer,
    who: access.Access | None = None,
) -> int:
    """Accept another layer in whole: every sentence where it differs takes its tags."""
    who = _writer(who, user, layer)
    theirs = dict(SentenceTags.objects.filter(layer=source).values_list("sentence_id", "tags"))
    rows = SentenceTags.objects.select_for_update().filter(layer=layer, sentence_id__in=theirs)
    changes = ((row, theirs[row.sentence_id]) for row in rows)
    return write_many(layer, changes, who, f"take all {source.name}")
