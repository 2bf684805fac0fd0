"""Who does which work: assigning documents (by hand or balanced by the planner in
nlp/assignment.py), the annotators' layers, reassignment, the pool of abandoned tasks.

Assignment locks the project row, so two managers assigning at once cannot duplicate a task;
a unique constraint backs that up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from annotator import bulk
from annotator.models import (
    IMPORTED,
    Document,
    Membership,
    Project,
    Sentence,
    SentenceTags,
    TagChange,
    TagLayer,
    Task,
    TaskEvent,
)
from annotator.nlp import assignment as planner
from annotator.nlp import scheme

State = Task.State


class TaskError(ValueError):
    """A transition or assignment that is not allowed; the message says why."""


class NotAnAnnotator(TaskError):
    """A reassignment to someone who is not an annotator of the task's project."""


def record_event(task: Task, user, old: str, new: str, comment: str = "") -> None:
    """A task's step in its history (the task page lists them)."""
    TaskEvent.objects.create(task=task, user=user, from_state=old, to_state=new, comment=comment)


def annotator_layer(document: Document, user: AbstractBaseUser, start_layer: str) -> TagLayer:
    """The user's layer of the document, created from the starting layer (or empty)."""
    layer_id = annotator_layers({(document.pk, user.pk)}, start_layer)[document.pk, user.pk]
    return TagLayer.objects.get(pk=layer_id)


def annotator_layers(pairs: set[tuple[int, int]], start_layer: str) -> dict[tuple[int, int], int]:
    """The layer ids of many (document, annotator) pairs, the missing ones created in bulk.

    A few statements whatever the number of pairs: one bulk insert of the layers and one
    INSERT ... SELECT per chunk of them for their tags (auto-assignment creates thousands).
    """
    documents = {d for d, _ in pairs}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={u for _, u in pairs})}
    existing = TagLayer.objects.filter(document_id__in=documents, owner_id__in=users)
    layers = {(d, o): pk for d, o, pk in existing.values_list("document_id", "owner_id", "pk")}
    missing = sorted(pairs - set(layers))
    if not missing:
        return layers
    sources = {}
    if start_layer != "empty":
        sources = dict(
            TagLayer.objects.filter(
                document_id__in={d for d, _ in missing}, name=start_layer
            ).values_list("document_id", "invalid_count")
        )
        lacking = {d for d, _ in missing} - set(sources)
        if lacking:
            raise TaskError(f"{len(lacking)} documents have no layer {start_layer!r} to start from")
    # Raw rows with reserved ids: tens of thousands of model instances would cost seconds.
    ids = bulk.reserve_ids(TagLayer, len(missing))
    now = timezone.now()
    bulk.insert_rows(
        TagLayer,
        [
            "id",
            "document",
            "name",
            "kind",
            "owner",
            "invalid_count",
            "reviewed_count",
            "created_at",
        ],
        [
            (
                pk,
                document,
                f"annotator {users[user].get_username()}",
                TagLayer.Kind.ANNOTATOR,
                user,
                sources.get(document, 0),
                0,
                now,
            )
            for pk, (document, user) in zip(ids, missing, strict=True)
        ],
    )
    if start_layer == "empty":
        for pk, (document, _) in zip(ids, missing, strict=True):
            _fill_empty(pk, document)
    else:
        _copy_tags_into(ids, start_layer)
    layers.update(zip(missing, ids, strict=True))
    return layers


def _copy_tags_into(created: list[int], start_layer: str) -> None:
    table = SentenceTags._meta.db_table
    layer_table = TagLayer._meta.db_table
    for start in range(0, len(created), 500):
        ids = created[start : start + 500]
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (layer_id, sentence_id, tags, invalid, version, reviewed) "  # noqa: S608
                f"SELECT new.id, st.sentence_id, st.tags, st.invalid, st.version, %s "
                f"FROM {layer_table} new "
                f"JOIN {layer_table} src ON src.document_id = new.document_id AND src.name = %s "
                f"JOIN {table} st ON st.layer_id = src.id "
                f"WHERE new.id IN ({marks})",
                [False, start_layer, *ids],
            )


def _fill_empty(layer_id: int, document_id: int) -> None:
    rows = Sentence.objects.filter(document_id=document_id).values_list("pk", "tokens")
    bulk.insert_rows(
        SentenceTags,
        ["layer", "sentence", "tags", "invalid", "version", "reviewed"],
        [
            (layer_id, pk, bulk.dump_json(["O"] * len(tokens)), None, 1, False)
            for pk, tokens in rows
        ],
    )


@transaction.atomic
def assign(
    *,
    manager: AbstractBaseUser,
    project: Project,
    documents: Sequence[Document],
    annotators: Sequence[AbstractBaseUser],
    start_layer: str = IMPORTED,
    due=None,
) -> QuerySet[Task]:
    """Assign by hand: every document (split by the project's task size) to every annotator."""
    Project.objects.select_for_update().get(pk=project.pk)
    units = [u for d in documents for u in planner.split(d.pk, d.sentence_count, project.task_size)]
    taken = _taken(project)
    pairs = [
        (unit, user.pk)
        for unit in units
        for user in annotators
        if (unit.document, unit.first, user.pk) not in taken
    ]
    return _create_tasks(manager, project, pairs, start_layer, due)


@transaction.atomic
def auto_assign(
    *,
    manager: AbstractBaseUser,
    project: Project,
    documents: Sequence[Document],
    annotators: Sequence[AbstractBaseUser] | None = None,
    start_layer: str = IMPORTED,
    due=None,
) -> tuple[QuerySet[Task], list]:
    """Every document to k distinct annotators (all of them for calibration documents),
    balancing open work; returns the tasks and the units that could not be fully staffed."""
    Project.objects.select_for_update().get(pk=project.pk)
    if annotators is None:
        annotators = list(
            get_user_model()
            .objects.filter(membership__project=project, membership__role=Membership.Role.ANNOTATOR)
            .distinct()
        )
    units = [
        u
        for d in documents
        for u in planner.split(d.pk, d.sentence_count, project.task_size, d.calibration)
    ]
    plan = planner.plan(
        units,
        [a.pk for a in annotators],
        project.annotators_per_document,
        open_work=_open_work(project),
        taken=_taken(project),
        cap=project.max_open_tasks,
    )
    return _create_tasks(manager, project, plan.assignments, start_layer, due), plan.short


def _taken(project: Project) -> set[tuple[int, int, int]]:
    rows = Task.objects.filter(project=project).exclude(state=State.WITHDRAWN)
    return set(rows.values_list("document_id", "first_sentence", "annotator_id"))


def _open_work(project: Project) -> dict[int, int]:
    rows = (
        Task.objects.filter(project=project, state__in=Task.OPEN_STATES)
        .values("annotator_id")
        .annotate(open=Count("pk"))
    )
    return {row["annotator_id"]: row["open"] for row in rows}


def _create_tasks(manager, project, pairs, start_layer, due) -> QuerySet[Task]:
    layers = annotator_layers({(u.document, a) for u, a in pairs}, start_layer)
    ids = bulk.reserve_ids(Task, len(pairs))
    now = timezone.now()
    try:
        with transaction.atomic():
            bulk.insert_rows(
                Task,
                TASK_FIELDS,
                [
                    (
                        pk,
                        project.pk,
                        unit.document,
                        annotator,
                        layers[unit.document, annotator],
                        unit.first,
                        unit.end,
                        start_layer,
                        State.ASSIGNED,
                        due,
                        "",
                        now,
                        now,
                    )
                    for pk, (unit, annotator) in zip(ids, pairs, strict=True)
                ],
            )
    except IntegrityError as error:
        raise TaskError("some of this work was assigned at the same moment; reload") from error
    bulk.insert_rows(
        TaskEvent,
        ["task", "user", "created_at", "from_state", "to_state", "comment"],
        [(pk, manager.pk, now, "", State.ASSIGNED, "") for pk in ids],
    )
    # Lazy: callers that only count the new tasks do not load thousands of them.
    return Task.objects.filter(project=project, pk__in=ids).order_by("pk")


TASK_FIELDS = [
    "id",
    "project",
    "document",
    "annotator",
    "layer",
    "first_sentence",
    "end_sentence",
    "start_layer",
    "state",
    "due",
    "comment",
    "created_at",
    "updated_at",
]


@transaction.atomic
def reassign(*, manager: AbstractBaseUser, task_id: int, to: AbstractBaseUser) -> Task:
    """Give the task to someone else, with the work done so far copied into their layer."""
    # Lock the task row only: its layer may be null (an outer join PostgreSQL will not lock).
    task = Task.objects.select_for_update(of=("self",)).select_related("document", "layer")
    task = task.get(pk=task_id)
    if task.state in (State.APPROVED, State.WITHDRAWN):
        raise TaskError("an approved or withdrawn task cannot be reassigned")
    if (
        Task.objects.filter(
            document=task.document, annotator=to, first_sentence=task.first_sentence
        )
        .exclude(state=State.WITHDRAWN)
        .exists()
    ):
        raise TaskError(f"{to} already has this part of the document")
    return _claim(task, to, by=manager, comment=f"reassigned from {task.annotator} to {to}")


@transaction.atomic
def release_abandoned(*, project: Project, now=None) -> int:
    """Tasks untouched for the project's timeout go back to the pool, their work kept.

    "Untouched" counts from the annotator's last edit anywhere in the project, so a task is
    never taken from someone who is working.
    """
    if not project.abandon_after_hours:
        return 0
    now = now or timezone.now()
    limit = now - timedelta(hours=project.abandon_after_hours)
    active = TagChange.objects.filter(
        layer__document__project=project, created_at__gte=limit
    ).values("user_id")
    stale = (
        Task.objects.select_for_update()
        .filter(project=project, state__in=(State.ASSIGNED, State.IN_PROGRESS))
        .filter(annotator__isnull=False)
        .filter(Q(touched_at__lt=limit) | Q(touched_at__isnull=True, created_at__lt=limit))
        .exclude(annotator_id__in=active)
    )
    released = 0
    for task in stale:
        record_event(
            task, None, task.state, task.state, f"returned to the pool from {task.annotator}"
        )
        task.annotator = None
        task.save(update_fields=["annotator", "updated_at"])
        released += 1
    return released


@transaction.atomic
def next_task(*, user: AbstractBaseUser, project: Project) -> Task | None:
    """The user's next open task, or one claimed from the pool (work of others kept)."""
    release_abandoned(project=project)  # the pool is only looked at here: refresh it first
    mine = (
        Task.objects.filter(project=project, annotator=user, state__in=Task.OPEN_STATES)
        .order_by("due", "created_at", "pk")
        .first()
    )
    if mine is not None:
        return mine
    if project.max_open_tasks == 0:
        return None
    own = Task.objects.filter(project=project, annotator=user).exclude(state=State.WITHDRAWN)
    pool = (
        Task.objects.select_for_update(skip_locked=True)
        .filter(project=project, annotator__isnull=True, state__in=Task.OPEN_STATES)
        .exclude(document_id__in=own.values("document_id"))
        .order_by("created_at", "pk")
        .first()
    )
    if pool is None:
        return None
    return _claim(pool, user, by=user, comment=f"claimed from the pool by {user}")


def _claim(task: Task, user: AbstractBaseUser, *, by: AbstractBaseUser, comment: str) -> Task:
    """Give the task to `user`, copying the work done so far into their layer."""
    layer = annotator_layer(task.document, user, task.start_layer)
    if task.layer_id:
        _copy_range(task, task.layer, layer)
    task.annotator, task.layer = user, layer
    task.save(update_fields=["annotator", "layer", "updated_at"])
    record_event(task, by, task.state, task.state, comment)
    return task


def _copy_range(task: Task, source: TagLayer, target: TagLayer) -> None:
    tags = dict(
        SentenceTags.objects.filter(
            layer=source,
            sentence__position__gte=task.first_sentence,
            sentence__position__lt=task.end_sentence,
        ).values_list("sentence_id", "tags")
    )
    rows = list(SentenceTags.objects.filter(layer=target, sentence_id__in=tags))
    for row in rows:
        row.tags = tags[row.sentence_id]
        row.invalid = scheme.invalid_positions(row.tags, task.document.scheme) or None
        row.version += 1
    SentenceTags.objects.bulk_update(rows, ["tags", "invalid", "version"])
