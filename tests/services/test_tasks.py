"""Tasks on the database: the workflow state machine, assignment (by hand and automatic),
reassign, withdraw, approve into gold, the pool (next task, abandoned tasks) and concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from itertools import product
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotator.models import (
    GOLD,
    IMPORTED,
    Document,
    Membership,
    Project,
    SentenceTags,
    TagChange,
    TagLayer,
    Task,
    TaskEvent,
)
from annotator.services import assignment, editing, members, workflow
from annotator.services.assignment import TaskError
from annotator.services.workflow import TRANSITIONS
from tests.conftest import import_files

State = Task.State
ALL_STATES = [s.value for s in State]
PROJECT = "Workflow corpus"


# --- data ----------------------------------------------------------------------------------------


def conll_file(directory: Path, name: str, sentences: int) -> Path:
    """A document whose sentence i is "<name> s<i> Paris ." with Paris tagged B-LOC."""
    lines = []
    for i in range(sentences):
        stem = name.split(".")[0]
        lines += [f"{stem}-s{i}\tB-PER", "visited\tO", "Paris\tB-LOC", ".\tO", ""]
    path = directory / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path, django_user_model, db) -> Project:
    """Three documents (3, 5 and 4 sentences), k=2, with a manager, a reviewer, 3 annotators."""
    files = [
        conll_file(tmp_path, "one.conll", 3),
        conll_file(tmp_path, "two.conll", 5),
        conll_file(tmp_path, "three.conll", 4),
    ]
    project = import_files(PROJECT, *files).project
    project.annotators_per_document = 2
    project.labels = [*project.labels, "ORG", "MISC"]
    project.save()
    roles = [
        ("manny", Membership.Role.MANAGER),
        ("rex", Membership.Role.REVIEWER),
        ("ann1", Membership.Role.ANNOTATOR),
        ("ann2", Membership.Role.ANNOTATOR),
        ("ann3", Membership.Role.ANNOTATOR),
    ]
    for username, role in roles:
        user = django_user_model.objects.create_user(username, password="task-pass-123")
        Membership.objects.create(project=project, user=user, role=role)
    return project


def user(name: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


def docs(project: Project) -> list[Document]:
    return list(project.documents.order_by("position"))


def annotators() -> list:
    return [user("ann1"), user("ann2"), user("ann3")]


def tags_of(layer: TagLayer) -> dict[int, list[str]]:
    """Sentence position -> tags of a layer."""
    rows = SentenceTags.objects.filter(layer=layer).values_list("sentence__position", "tags")
    return dict(rows)


def one_task(project: Project, annotator_name: str = "ann1", document: int = 0, **fields) -> Task:
    task = assignment.assign(
        manager=user("manny"),
        project=project,
        documents=[docs(project)[document]],
        annotators=[user(annotator_name)],
    )[0]
    if fields:
        Task.objects.filter(pk=task.pk).update(**fields)
        task.refresh_from_db()
    return task


def snapshot(task: Task) -> tuple:
    task.refresh_from_db()
    return (
        task.state,
        task.comment,
        task.submitted_at,
        task.annotator_id,
        task.layer_id,
        TaskEvent.objects.filter(task=task).count(),
    )


def edit(layer: TagLayer, position: int, who, label: str = "ORG", start: int = 2, end: int = 3):
    """Relabel token `start` of a sentence in a layer, as the services do it."""
    row = SentenceTags.objects.get(layer=layer, sentence__position=position)
    layer.document = row.sentence.document
    return editing.edit_sentence(
        user=who,
        layer=layer,
        sentence_id=row.sentence_id,
        version=row.version,
        operation="label",
        start=start,
        end=end,
        label=label,
    )


# --- the state machine ---------------------------------------------------------------------------

ACTOR = {"annotator": "ann1", "reviewer": "rex"}


@pytest.mark.parametrize(
    ("source", "target"),
    sorted(TRANSITIONS),
    ids=[f"{a}->{b}" for a, b in sorted(TRANSITIONS)],
)
def test_every_legal_transition_by_the_right_person_works_and_is_recorded(
    corpus, source, target
) -> None:
    task = one_task(corpus, state=source)
    who = TRANSITIONS[(source, target)]
    actor = user(ACTOR[who])
    before = TaskEvent.objects.filter(task=task).count()

    result = workflow.transition(
        user=actor,
        task_id=task.pk,
        to=target,
        as_reviewer=who == "reviewer",
        comment="please tag the cities" if target == State.CHANGES_REQUESTED else "",
    )

    task.refresh_from_db()
    assert result.state == task.state == target
    events = list(TaskEvent.objects.filter(task=task).order_by("pk"))
    assert len(events) == before + 1
    event = events[-1]
    assert (event.user, event.from_state, event.to_state) == (actor, source, target)
    if target == State.SUBMITTED:
        assert task.submitted_at is not None
    if target == State.CHANGES_REQUESTED:
        assert task.comment == event.comment == "please tag the cities"


ILLEGAL = [
    (a, b) for a, b in product(ALL_STATES, ALL_STATES) if (a, b) not in TRANSITIONS and a != b
] + [(s, s) for s in ALL_STATES]


@pytest.mark.parametrize(("source", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_transition_raises_and_changes_nothing(corpus, source, target) -> None:
    task = one_task(corpus, state=source)
    before = snapshot(task)
    for actor, as_reviewer in ((user("ann1"), False), (user("rex"), True), (user("manny"), True)):
        with pytest.raises(TaskError):
            workflow.transition(
                user=actor, task_id=task.pk, to=target, as_reviewer=as_reviewer, comment="why"
            )
        assert snapshot(task) == before


ANNOTATOR_STEPS = [(a, b) for (a, b), who in sorted(TRANSITIONS.items()) if who == "annotator"]
REVIEWER_STEPS = [(a, b) for (a, b), who in sorted(TRANSITIONS.items()) if who == "reviewer"]


@pytest.mark.parametrize("wrong", ["ann2", "rex", "manny"])
@pytest.mark.parametrize(
    ("source", "target"), ANNOTATOR_STEPS, ids=[f"{a}->{b}" for a, b in ANNOTATOR_STEPS]
)
def test_only_the_tasks_own_annotator_moves_it_along(corpus, source, target, wrong) -> None:
    task = one_task(corpus, state=source)
    before = snapshot(task)
    for as_reviewer in (False, True):
        with pytest.raises(TaskError, match="annotator"):
            workflow.transition(
                user=user(wrong), task_id=task.pk, to=target, as_reviewer=as_reviewer
            )
    assert snapshot(task) == before


@pytest.mark.parametrize(
    ("source", "target"), REVIEWER_STEPS, ids=[f"{a}->{b}" for a, b in REVIEWER_STEPS]
)
def test_reviewer_steps_need_a_reviewer(corpus, source, target) -> None:
    task = one_task(corpus, state=source)
    before = snapshot(task)
    for actor in ("ann1", "ann2", "rex"):
        with pytest.raises(TaskError, match="reviewer"):
            workflow.transition(
                user=user(actor), task_id=task.pk, to=target, as_reviewer=False, comment="x"
            )
    assert snapshot(task) == before


@pytest.mark.parametrize("comment", ["", "   ", "\n\t"])
def test_requesting_changes_needs_a_comment(corpus, comment) -> None:
    task = one_task(corpus, state=State.SUBMITTED)
    before = snapshot(task)
    with pytest.raises(TaskError, match="change"):
        workflow.transition(
            user=user("rex"),
            task_id=task.pk,
            to=State.CHANGES_REQUESTED,
            as_reviewer=True,
            comment=comment,
        )
    assert snapshot(task) == before


def test_a_whole_round_trip_is_recorded_in_order(corpus) -> None:
    task = one_task(corpus)
    ann, rex = user("ann1"), user("rex")
    steps = [
        (ann, State.IN_PROGRESS, False, ""),
        (ann, State.SUBMITTED, False, ""),
        (rex, State.CHANGES_REQUESTED, True, "Paris is a LOC"),
        (ann, State.IN_PROGRESS, False, ""),
        (ann, State.SUBMITTED, False, ""),
    ]
    for actor, to, as_reviewer, comment in steps:
        workflow.transition(
            user=actor, task_id=task.pk, to=to, as_reviewer=as_reviewer, comment=comment
        )
    workflow.approve(user=rex, task_id=task.pk, copy_to_gold=False)
    events = list(
        task.events.order_by("pk").values_list("user__username", "from_state", "to_state")
    )
    assert events == [
        ("manny", "", "assigned"),
        ("ann1", "assigned", "in_progress"),
        ("ann1", "in_progress", "submitted"),
        ("rex", "submitted", "changes_requested"),
        ("ann1", "changes_requested", "in_progress"),
        ("ann1", "in_progress", "submitted"),
        ("rex", "submitted", "approved"),
    ]


# --- assignment ----------------------------------------------------------------------------------


def test_assign_by_hand_gives_every_document_to_every_chosen_annotator(corpus) -> None:
    one, two, _ = docs(corpus)
    ann1, ann2, _ = annotators()
    tasks = assignment.assign(
        manager=user("manny"), project=corpus, documents=[one, two], annotators=[ann1, ann2]
    )
    assert sorted((t.document_id, t.annotator_id) for t in tasks) == sorted(
        (d.pk, a.pk) for d in (one, two) for a in (ann1, ann2)
    )
    for task in tasks:
        assert (task.first_sentence, task.end_sentence) == (0, task.document.sentence_count)
        assert task.state == State.ASSIGNED
        assert task.start_layer == IMPORTED
        event = task.events.get()
        assert (event.user, event.from_state, event.to_state) == (user("manny"), "", "assigned")
    # Assigning the same again creates nothing new.
    again = assignment.assign(
        manager=user("manny"), project=corpus, documents=[one, two], annotators=[ann1, ann2]
    )
    assert list(again) == []
    assert Task.objects.filter(project=corpus).count() == 4


def test_auto_assign_gives_each_document_k_distinct_annotators_balanced(corpus) -> None:
    tasks, short = assignment.auto_assign(
        manager=user("manny"), project=corpus, documents=docs(corpus)
    )
    assert short == []
    assert len(tasks) == 3 * 2
    for document in docs(corpus):
        people = list(Task.objects.filter(document=document).values_list("annotator_id", flat=True))
        assert len(people) == len(set(people)) == 2
    load = {a.pk: Task.objects.filter(annotator=a).count() for a in annotators()}
    assert sorted(load.values()) == [2, 2, 2]


def test_annotator_layers_are_named_after_them_and_start_from_the_imported_tags(corpus) -> None:
    assignment.auto_assign(manager=user("manny"), project=corpus, documents=docs(corpus))
    for task in Task.objects.filter(project=corpus).select_related("layer", "annotator"):
        layer = task.layer
        assert layer.name == f"annotator {task.annotator.username}"
        assert layer.kind == TagLayer.Kind.ANNOTATOR
        assert layer.owner == task.annotator
        assert layer.document_id == task.document_id
        imported = TagLayer.objects.get(document=task.document, name=IMPORTED)
        assert tags_of(layer) == tags_of(imported)
        assert tags_of(layer)[0][2] == "B-LOC"


def test_an_empty_start_gives_all_o(corpus) -> None:
    tasks, _ = assignment.auto_assign(
        manager=user("manny"), project=corpus, documents=docs(corpus)[:1], start_layer="empty"
    )
    assert len(tasks) == 2
    for task in tasks:
        task.refresh_from_db()
        assert task.start_layer == "empty"
        rows = tags_of(task.layer)
        assert len(rows) == task.document.sentence_count
        assert all(set(tags) == {"O"} and len(tags) == 4 for tags in rows.values())
        assert task.layer.invalid_count == 0


def test_calibration_documents_go_to_every_annotator(corpus) -> None:
    one, two, three = docs(corpus)
    Document.objects.filter(pk=two.pk).update(calibration=True)
    tasks, short = assignment.auto_assign(
        manager=user("manny"), project=corpus, documents=docs(corpus)
    )
    assert short == []
    per_document = {d.pk: set() for d in (one, two, three)}
    for task in tasks:
        per_document[task.document_id].add(task.annotator_id)
    assert per_document[two.pk] == {a.pk for a in annotators()}
    assert len(per_document[one.pk]) == len(per_document[three.pk]) == 2


def test_task_size_splits_documents_into_sentence_ranges(corpus) -> None:
    corpus.task_size = 2
    corpus.annotators_per_document = 1
    corpus.save()
    two = docs(corpus)[1]  # 5 sentences
    tasks, short = assignment.auto_assign(manager=user("manny"), project=corpus, documents=[two])
    assert short == []
    ranges = sorted((t.first_sentence, t.end_sentence) for t in tasks)
    assert ranges == [(0, 2), (2, 4), (4, 5)]
    # One layer per annotator and document, however many ranges they got.
    for task in tasks:
        task.refresh_from_db()
        assert task.layer.owner_id == task.annotator_id
    layers = TagLayer.objects.filter(document=two, kind=TagLayer.Kind.ANNOTATOR)
    assert layers.count() == len({t.annotator_id for t in tasks})
    # By hand, the same split applies.
    by_hand = assignment.assign(
        manager=user("manny"),
        project=corpus,
        documents=[docs(corpus)[0]],
        annotators=[user("ann1")],
    )
    assert sorted((t.first_sentence, t.end_sentence) for t in by_hand) == [(0, 2), (2, 3)]


def test_the_cap_of_open_tasks_is_respected_and_the_shortfall_reported(corpus) -> None:
    corpus.max_open_tasks = 1
    corpus.save()
    tasks, short = assignment.auto_assign(
        manager=user("manny"), project=corpus, documents=docs(corpus)
    )
    assert len(tasks) == 3
    assert sorted(t.annotator_id for t in tasks) == sorted(a.pk for a in annotators())
    assert sum(missing for _, missing in short) == 3 * 2 - 3


def test_rerunning_auto_assign_never_duplicates_work(corpus) -> None:
    manny = user("manny")
    first, _ = assignment.auto_assign(manager=manny, project=corpus, documents=docs(corpus))
    second, _ = assignment.auto_assign(manager=manny, project=corpus, documents=docs(corpus))
    triples = list(
        Task.objects.filter(project=corpus).values_list("document", "first_sentence", "annotator")
    )
    assert len(triples) == len(set(triples)), "the same sentences twice to the same person"
    # Every document already had its k annotators: a second run has nothing to add.
    assert list(second) == [], f"a rerun added {len(second)} tasks to fully staffed documents"
    for document in docs(corpus):
        assert Task.objects.filter(document=document).count() == corpus.annotators_per_document


def test_auto_assign_only_picks_annotators_of_the_project(corpus, django_user_model) -> None:
    stranger = django_user_model.objects.create_user("stranger", password="x-pass-123")
    other = Project.objects.create(name="Other")
    Membership.objects.create(project=other, user=stranger, role=Membership.Role.ANNOTATOR)
    Membership.objects.create(project=corpus, user=stranger, role=Membership.Role.REVIEWER)
    tasks, _ = assignment.auto_assign(manager=user("manny"), project=corpus, documents=docs(corpus))
    assert stranger.pk not in {t.annotator_id for t in tasks}
    assert not {t.annotator_id for t in tasks} & {user("rex").pk, user("manny").pk}


# --- reassign, withdraw, approve -----------------------------------------------------------------


def test_reassign_copies_the_work_done_and_keeps_the_old_layer(corpus) -> None:
    task = one_task(corpus, "ann1")
    old_layer = task.layer
    edit(old_layer, 1, user("ann1"))
    expected = tags_of(old_layer)
    assert expected[1][2] == "B-ORG"
    events_before = task.events.count()

    moved = assignment.reassign(manager=user("manny"), task_id=task.pk, to=user("ann3"))

    moved.refresh_from_db()
    assert moved.annotator == user("ann3")
    assert moved.layer != old_layer
    assert moved.layer.name == "annotator ann3" and moved.layer.owner == user("ann3")
    assert tags_of(moved.layer) == expected
    assert TagLayer.objects.filter(pk=old_layer.pk).exists()
    assert tags_of(old_layer) == expected
    assert TagChange.objects.filter(layer=old_layer, user=user("ann1")).count() == 1
    new_events = list(moved.events.order_by("pk"))[events_before:]
    assert any(e.user == user("manny") and "reassigned" in e.comment for e in new_events)


def test_reassign_records_one_event_by_the_manager_not_a_claim_from_the_pool(corpus) -> None:
    task = one_task(corpus, "ann1")
    before = task.events.count()
    assignment.reassign(manager=user("manny"), task_id=task.pk, to=user("ann3"))
    new = list(task.events.order_by("pk").values_list("user__username", "comment"))[before:]
    assert [who for who, _ in new] == ["manny"], new
    assert not any("pool" in comment for _, comment in new), new


def test_reassign_refuses_someone_who_has_the_part_already_and_closed_tasks(corpus) -> None:
    task = one_task(corpus, "ann1")
    one_task(corpus, "ann2")
    before = snapshot(task)
    with pytest.raises(TaskError):
        assignment.reassign(manager=user("manny"), task_id=task.pk, to=user("ann2"))
    assert snapshot(task) == before
    for state in (State.APPROVED, State.WITHDRAWN):
        Task.objects.filter(pk=task.pk).update(state=state)
        before = snapshot(task)
        with pytest.raises(TaskError):
            assignment.reassign(manager=user("manny"), task_id=task.pk, to=user("ann3"))
        assert snapshot(task) == before


def test_withdraw_keeps_the_layer_and_its_edits(corpus) -> None:
    task = one_task(corpus, "ann1")
    edit(task.layer, 0, user("ann1"))
    kept = tags_of(task.layer)

    workflow.withdraw(manager=user("manny"), task_id=task.pk)

    task.refresh_from_db()
    assert task.state == State.WITHDRAWN
    assert tags_of(TagLayer.objects.get(pk=task.layer_id)) == kept
    assert TagChange.objects.filter(layer=task.layer).count() == 1
    event = task.events.order_by("pk").last()
    assert (event.user, event.from_state, event.to_state) == (
        user("manny"),
        "assigned",
        "withdrawn",
    )
    before = snapshot(task)
    with pytest.raises(TaskError):
        workflow.withdraw(manager=user("manny"), task_id=task.pk)
    assert snapshot(task) == before
    # Withdrawn, the sentences may be assigned to the same person again.
    again = assignment.assign(
        manager=user("manny"), project=corpus, documents=[task.document], annotators=[user("ann1")]
    )
    assert len(again) == 1 and again[0].layer_id == task.layer_id


def test_approve_with_copy_into_gold_writes_the_tasks_sentences_and_records_them(corpus) -> None:
    corpus.task_size = 2
    corpus.save()
    two = docs(corpus)[1]
    tasks = assignment.assign(
        manager=user("manny"), project=corpus, documents=[two], annotators=[user("ann1")]
    )
    first = next(t for t in tasks if t.first_sentence == 0)
    layer = first.layer
    edit(layer, 1, user("ann1"))  # in the task
    edit(layer, 3, user("ann1"), label="MISC")  # in another task of the same layer
    Task.objects.filter(pk=first.pk).update(state=State.SUBMITTED)

    workflow.approve(user=user("rex"), task_id=first.pk, copy_to_gold=True)

    gold = TagLayer.objects.get(document=two, name=GOLD)
    theirs, imported = tags_of(layer), tags_of(TagLayer.objects.get(document=two, name=IMPORTED))
    assert tags_of(gold)[0] == theirs[0]
    assert tags_of(gold)[1] == theirs[1] == ["B-PER", "O", "B-ORG", "O"]
    assert tags_of(gold)[3] == imported[3], "only the task's own sentences go into gold"
    changes = list(TagChange.objects.filter(layer=gold))
    assert len(changes) == 1
    change = changes[0]
    assert change.user == user("rex")
    assert change.action == f"approved task {first.pk}"
    assert change.old_tags == imported[1] and change.new_tags == theirs[1]
    first.refresh_from_db()
    assert first.state == State.APPROVED


def test_approve_without_copy_leaves_gold_alone(corpus) -> None:
    task = one_task(corpus)
    edit(task.layer, 0, user("ann1"))
    Task.objects.filter(pk=task.pk).update(state=State.SUBMITTED)
    workflow.approve(user=user("rex"), task_id=task.pk, copy_to_gold=False)
    assert not TagLayer.objects.filter(document=task.document, name=GOLD).exists()


def test_approving_a_task_that_is_not_submitted_copies_nothing(corpus) -> None:
    task = one_task(corpus, state=State.IN_PROGRESS)
    edit(task.layer, 0, user("ann1"))
    with pytest.raises(TaskError):
        workflow.approve(user=user("rex"), task_id=task.pk, copy_to_gold=True)
    assert not TagLayer.objects.filter(document=task.document, name=GOLD).exists()


# --- the pool ------------------------------------------------------------------------------------


def test_next_task_returns_own_open_tasks_first(corpus) -> None:
    one, two, _ = docs(corpus)
    ann1 = user("ann1")
    tasks = assignment.assign(
        manager=user("manny"), project=corpus, documents=[one, two], annotators=[ann1]
    )
    pool = one_task(corpus, "ann2", document=2)
    Task.objects.filter(pk=pool.pk).update(annotator=None)
    assert assignment.next_task(user=ann1, project=corpus) == tasks[0]
    Task.objects.filter(pk=tasks[0].pk).update(state=State.SUBMITTED)
    assert assignment.next_task(user=ann1, project=corpus) == tasks[1]
    # A task that came back with changes requested is open again.
    Task.objects.filter(pk=tasks[1].pk).update(state=State.APPROVED)
    Task.objects.filter(pk=tasks[0].pk).update(state=State.CHANGES_REQUESTED)
    assert assignment.next_task(user=ann1, project=corpus) == tasks[0]


def test_next_task_claims_a_pool_task_with_the_work_done_so_far(corpus) -> None:
    task = one_task(corpus, "ann2", document=2)
    edit(task.layer, 1, user("ann2"))
    Task.objects.filter(pk=task.pk).update(annotator=None, state=State.IN_PROGRESS)
    ann1 = user("ann1")

    claimed = assignment.next_task(user=ann1, project=corpus)

    assert claimed is not None and claimed.pk == task.pk
    claimed.refresh_from_db()
    assert claimed.annotator == ann1
    assert claimed.state == State.IN_PROGRESS
    assert claimed.layer.owner == ann1 and claimed.layer.name == "annotator ann1"
    assert tags_of(claimed.layer)[1][2] == "B-ORG"
    assert TagLayer.objects.filter(document=task.document, name="annotator ann2").exists()
    event = claimed.events.order_by("pk").last()
    assert event.user == ann1 and "pool" in event.comment
    # Nothing else waits: None.
    Task.objects.filter(pk=task.pk).update(state=State.SUBMITTED)
    assert assignment.next_task(user=ann1, project=corpus) is None


def test_next_task_never_gives_a_document_its_annotator_has_already(corpus) -> None:
    mine = one_task(corpus, "ann1", document=0, state=State.SUBMITTED)
    theirs = one_task(corpus, "ann2", document=0)
    Task.objects.filter(pk=theirs.pk).update(annotator=None)
    assert assignment.next_task(user=user("ann1"), project=corpus) is None
    assert Task.objects.get(pk=theirs.pk).annotator is None
    assert mine.pk


def test_next_task_with_a_cap_of_zero_claims_nothing(corpus) -> None:
    pool = one_task(corpus, "ann2")
    Task.objects.filter(pk=pool.pk).update(annotator=None)
    corpus.max_open_tasks = 0
    corpus.save()
    assert assignment.next_task(user=user("ann1"), project=corpus) is None


def test_start_next_through_the_view_claims_and_opens_the_task(corpus) -> None:
    pool = one_task(corpus, "ann2")
    Task.objects.filter(pk=pool.pk).update(annotator=None)
    client = Client()
    client.force_login(user("ann1"))
    response = client.post(reverse("annotator-start-next", args=[corpus.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("annotator-document-detail", args=[pool.document_id]))
    assert "layer=annotator+ann1" in response.url
    assert Task.objects.get(pk=pool.pk).annotator == user("ann1")


def age(task: Task, hours: float) -> None:
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(hours=hours))


def test_release_abandoned_returns_untouched_tasks_to_the_pool(corpus) -> None:
    corpus.abandon_after_hours = 2
    corpus.save()
    old = one_task(corpus, "ann1", document=0)
    fresh = one_task(corpus, "ann2", document=0)
    touched_long_ago = one_task(corpus, "ann3", document=0, state=State.IN_PROGRESS)
    submitted = one_task(corpus, "ann1", document=1, state=State.SUBMITTED)
    for task in (old, touched_long_ago, submitted):
        age(task, 5)
    Task.objects.filter(pk=touched_long_ago.pk).update(
        touched_at=timezone.now() - timedelta(hours=3)
    )

    assert assignment.release_abandoned(project=corpus) == 2

    assert Task.objects.get(pk=old.pk).annotator is None
    assert Task.objects.get(pk=touched_long_ago.pk).annotator is None
    assert Task.objects.get(pk=fresh.pk).annotator == user("ann2")
    assert Task.objects.get(pk=submitted.pk).annotator == user("ann1")
    released = Task.objects.get(pk=touched_long_ago.pk)
    assert released.state == State.IN_PROGRESS and released.layer_id == touched_long_ago.layer_id
    event = released.events.order_by("pk").last()
    assert event.user is None and "pool" in event.comment
    assert assignment.release_abandoned(project=corpus) == 0


def test_release_abandoned_never_takes_from_someone_who_edited_recently(corpus) -> None:
    corpus.abandon_after_hours = 2
    corpus.save()
    idle = one_task(corpus, "ann1", document=0)
    working_elsewhere = one_task(corpus, "ann1", document=1)
    age(idle, 5)
    age(working_elsewhere, 5)
    edit(working_elsewhere.layer, 0, user("ann1"))  # an edit now, in the other document
    Task.objects.filter(pk=working_elsewhere.pk).update(
        touched_at=timezone.now() - timedelta(hours=1)
    )
    assert assignment.release_abandoned(project=corpus) == 0
    assert Task.objects.get(pk=idle.pk).annotator == user("ann1")


def test_release_abandoned_without_a_timeout_does_nothing(corpus) -> None:
    task = one_task(corpus)
    age(task, 1000)
    assert assignment.release_abandoned(project=corpus) == 0
    assert Task.objects.get(pk=task.pk).annotator == user("ann1")


# --- the edit endpoint starts the task -----------------------------------------------------------


def post_edit(client: Client, task: Task, position: int, label: str = "ORG"):
    row = SentenceTags.objects.get(layer=task.layer, sentence__position=position)
    return client.post(
        reverse("annotator-sentence-edit", args=[task.document_id]),
        {
            "layer": task.layer.name,
            "sentence": row.sentence_id,
            "version": row.version,
            "op": "label",
            "start": 2,
            "end": 3,
            "label": label,
        },
    )


def test_an_annotators_first_edit_moves_the_task_to_in_progress(corpus) -> None:
    task = one_task(corpus, "ann1")
    client = Client()
    client.force_login(user("ann1"))

    response = post_edit(client, task, 0)

    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.state == State.IN_PROGRESS
    assert task.touched_at is not None
    event = task.events.order_by("pk").last()
    assert (event.user, event.from_state, event.to_state) == (
        user("ann1"),
        "assigned",
        "in_progress",
    )
    assert tags_of(task.layer)[0][2] == "B-ORG"
    # A second edit records no second transition.
    post_edit(client, task, 1)
    assert task.events.filter(to_state=State.IN_PROGRESS).count() == 1


def test_an_annotator_cannot_edit_outside_their_open_tasks(corpus) -> None:
    corpus.task_size = 2
    corpus.save()
    tasks = assignment.assign(
        manager=user("manny"),
        project=corpus,
        documents=[docs(corpus)[0]],
        annotators=[user("ann1")],
    )
    first = next(t for t in tasks if t.first_sentence == 0)
    second = next(t for t in tasks if t.first_sentence == 2)
    client = Client()
    client.force_login(user("ann1"))
    Task.objects.filter(pk=second.pk).update(state=State.SUBMITTED)
    assert post_edit(client, first, 2).status_code == 403  # sentence 2 is the submitted task's
    assert post_edit(client, first, 0).status_code == 200
    assert Task.objects.get(pk=second.pk).state == State.SUBMITTED


# --- concurrency (PostgreSQL) --------------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (select_for_update) are only real on PostgreSQL; SQLite serialises writers",
)


def run_together(*jobs):
    """Run callables in threads released at the same moment; return results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_concurrent_auto_assigns_create_no_duplicate_tasks(corpus, attempt) -> None:
    pk = corpus.pk

    def job():
        project = Project.objects.get(pk=pk)
        tasks, _ = assignment.auto_assign(
            manager=user("manny"), project=project, documents=docs(project)
        )
        return len(tasks)

    results = run_together(job, job)

    for result in results:
        assert isinstance(result, int | TaskError), repr(result)
    triples = list(
        Task.objects.filter(project_id=pk).values_list("document", "first_sentence", "annotator")
    )
    assert len(triples) == len(set(triples))
    assert TaskEvent.objects.filter(task__project_id=pk).count() == len(triples)
    for document in docs(corpus):
        count = Task.objects.filter(document=document).count()
        assert count == corpus.annotators_per_document, (
            f"{document}: {count} tasks after two simultaneous runs, results {results}"
        )


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_concurrent_submits_record_exactly_one_transition(corpus, attempt) -> None:
    task = one_task(corpus, "ann1", state=State.IN_PROGRESS)
    ann1 = user("ann1")

    def job():
        return workflow.transition(
            user=ann1, task_id=task.pk, to=State.SUBMITTED, as_reviewer=False
        )

    results = run_together(job, job)

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], TaskError), results
    assert Task.objects.get(pk=task.pk).state == State.SUBMITTED
    assert task.events.filter(to_state=State.SUBMITTED).count() == 1


# --- the Assign page -----------------------------------------------------------------------------


def manager_client() -> Client:
    client = Client()
    client.force_login(user("manny"))
    return client


@pytest.mark.parametrize("chosen", [["ann1", "ann2"], []], ids=["annotators-chosen", "all"])
def test_auto_assign_from_the_assign_page(corpus, chosen) -> None:
    response = manager_client().post(
        reverse("annotator-assign", args=[corpus.pk]),
        {
            "mode": "auto",
            "documents": [d.pk for d in docs(corpus)],
            "annotators": [user(name).pk for name in chosen],
            "start_layer": IMPORTED,
        },
    )
    assert response.status_code == 302
    assert Task.objects.filter(project=corpus).count() == 3 * 2
    allowed = {user(name).pk for name in chosen} or {a.pk for a in annotators()}
    assert set(Task.objects.values_list("annotator_id", flat=True)) <= allowed


def test_assign_by_hand_from_the_assign_page(corpus) -> None:
    one = docs(corpus)[0]
    response = manager_client().post(
        reverse("annotator-assign", args=[corpus.pk]),
        {
            "mode": "hand",
            "documents": [one.pk],
            "annotators": [user("ann3").pk],
            "start_layer": "empty",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get(project=corpus)
    assert (task.document, task.annotator, task.start_layer) == (one, user("ann3"), "empty")


# --- the task page's workflow buttons ------------------------------------------------------------


def flashed(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def post_action(name: str, task: Task, **fields):
    client = Client()
    client.force_login(user(name))
    url = reverse("annotator-task-action", args=[task.pk])
    return client.post(url, {"action": fields.pop("action"), **fields})


def test_each_workflow_button_says_what_it_did(corpus) -> None:
    task = one_task(corpus)
    steps = [
        ("ann1", {"action": "start"}, "Started."),
        ("ann1", {"action": "submit", "confirm": "1"}, "Submitted for review."),
        ("rex", {"action": "changes", "comment": "PER, not LOC"}, "Changes requested."),
        ("ann1", {"action": "start"}, "Started."),
        ("ann1", {"action": "submit", "confirm": "1"}, "Submitted for review."),
        (
            "rex",
            {"action": "approve", "copy_to_gold": "1"},
            "Approved; copied 0 sentences into gold; 3 already read the same there; none "
            "disagrees with another finished task; 0 overwrite reviewer work.",
        ),
    ]
    for name, fields, message in steps:
        response = post_action(name, task, **fields)
        assert response.status_code == 302
        assert flashed(response) == [message]
    task.refresh_from_db()
    assert task.state == State.APPROVED


def test_submit_says_how_many_sentences_are_not_reviewed_and_asks_first(corpus) -> None:
    task = one_task(corpus)
    post_action("ann1", task, action="start")
    response = post_action("ann1", task, action="submit")
    assert response.status_code == 200
    text = " ".join(response.content.decode().split())
    assert f"{task.sentence_count} of {task.sentence_count} sentences" in text
    assert "not marked reviewed" in text
    assert 'name="confirm" value="1"' in text
    task.refresh_from_db()
    assert task.state == State.IN_PROGRESS

    assert post_action("ann1", task, action="submit", confirm="1").status_code == 302
    task.refresh_from_db()
    assert task.state == State.SUBMITTED


def test_reassign_and_withdraw_buttons_say_what_they_did(corpus) -> None:
    task = one_task(corpus)
    response = post_action("manny", task, action="reassign", to=user("ann2").pk)
    assert flashed(response) == ["Reassigned to ann2, with the work done so far."]
    response = post_action("manny", task, action="reassign", to=user("rex").pk)
    assert flashed(response) == ["Not done: pick an annotator of this project."]
    response = post_action("manny", task, action="withdraw")
    assert flashed(response) == ["Withdrawn; the work done is kept in its layer."]
    response = post_action("manny", task, action="withdraw")
    assert flashed(response) == ["Not done: this task is already closed."]


@pytest.mark.parametrize(
    ("name", "action", "status"),
    [
        ("ann2", "submit", 404),  # someone else's task
        ("ann1", "approve", 403),
        ("rex", "withdraw", 403),
        ("manny", "dance", 404),
    ],
)
def test_a_step_not_yours_to_take_is_refused(corpus, name, action, status) -> None:
    task = one_task(corpus)
    assert post_action(name, task, action=action).status_code == status
    task.refresh_from_db()
    assert task.state == State.ASSIGNED


# --- the Members page ----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["", "another-pass-123"], ids=["no-password", "password"])
def test_a_member_added_by_a_name_in_another_unicode_form_gets_their_account(
    corpus, django_user_model, password
) -> None:
    fiona = django_user_model.objects.create_user("\ufb01ona", password="fiona-pass-123")
    assert fiona.username == "fiona"  # accounts store names NFKC-normalised

    response = manager_client().post(
        reverse("annotator-members", args=[corpus.pk]),
        {"username": "\ufb01ona", "password": password, "roles": [Membership.Role.REVIEWER]},
    )

    assert response.status_code == 302
    assert django_user_model.objects.filter(username__endswith="ona").count() == 1
    assert Membership.objects.filter(project=corpus, user=fiona, role="reviewer").exists()
    assert flashed(response) == ["\ufb01ona is a member now."]


def test_a_new_account_needs_a_password_on_the_members_page(corpus, django_user_model) -> None:
    response = manager_client().post(
        reverse("annotator-members", args=[corpus.pk]),
        {"username": "newcomer", "password": "", "roles": [Membership.Role.ANNOTATOR]},
    )
    assert response.status_code == 200
    assert "A new account needs a password." in response.content.decode()
    assert not django_user_model.objects.filter(username="newcomer").exists()


def test_adding_a_member_twice_keeps_one_membership_per_role(corpus) -> None:
    for _ in range(2):
        member = members.add_member(
            project=corpus, username="ann1", password="", roles=["annotator", "reviewer"]
        )
    assert member == user("ann1")
    roles = Membership.objects.filter(project=corpus, user=member).values_list("role", flat=True)
    assert sorted(roles) == ["annotator", "reviewer"]
