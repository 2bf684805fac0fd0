"""The review workflow: a task's legal transitions, approval (with copying into gold), the
steps the task page offers. Transitions lock the task row, so a double submit cannot lose one.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotator import access
from annotator.models import Membership, TagLayer, Task
from annotator.services import approval
from annotator.services.assignment import NotAnAnnotator, TaskError, reassign, record_event
from annotator.services.editing import gold_writer

State = Task.State


# Who may move a task from one state to another: "annotator" (its own), "reviewer".
TRANSITIONS: dict[tuple[str, str], str] = {
    (State.ASSIGNED, State.IN_PROGRESS): "annotator",
    (State.IN_PROGRESS, State.SUBMITTED): "annotator",
    (State.CHANGES_REQUESTED, State.IN_PROGRESS): "annotator",
    (State.SUBMITTED, State.APPROVED): "reviewer",
    (State.SUBMITTED, State.CHANGES_REQUESTED): "reviewer",
}


@transaction.atomic
def transition(
    *, user: AbstractBaseUser, task_id: int, to: str, as_reviewer: bool, comment: str = ""
) -> Task:
    """Move a task along the workflow; only the legal transitions, by the right person."""
    task = Task.objects.select_for_update().get(pk=task_id)
    who = TRANSITIONS.get((task.state, to))
    if who is None:
        raise TaskError(f"a task that is {task.get_state_display()} cannot become {to}")
    if who == "annotator" and task.annotator_id != user.pk:
        raise TaskError("only the task's annotator can do this")
    if who == "reviewer" and not as_reviewer:
        raise TaskError("only a reviewer can do this")
    if to == State.CHANGES_REQUESTED and not comment.strip():
        raise TaskError("say what should change")
    old = task.state
    task.state = to
    if to == State.SUBMITTED:
        task.submitted_at = timezone.now()
    if to == State.CHANGES_REQUESTED:
        task.comment = comment
    task.save()
    record_event(task, user, old, to, comment)
    return task


@transaction.atomic
def approve(
    *,
    user: AbstractBaseUser,
    task_id: int,
    copy_to_gold: bool,
    who: access.Access | None = None,
) -> tuple[Task, approval.ApprovalPlan | None]:
    """Approve a submitted task; with `copy_to_gold`, carry out its approval plan (see
    services/approval.py: never over a reviewer's work, disagreements go to adjudication)."""
    task = Task.objects.select_related("project").get(pk=task_id)
    if who is None:
        who = access.writer(user=user, project=task.project)
    if copy_to_gold:
        gold_writer(who, user, task.project)  # the layer rule first: gold is reviewers'
    task = transition(user=user, task_id=task_id, to=State.APPROVED, as_reviewer=who.is_reviewer)
    if not copy_to_gold:
        return task, None
    _, plan = approval.copy_into_gold(user=user, task=task, who=who)
    return task, plan


def act_on_task(
    *,
    user: AbstractBaseUser,
    task: Task,
    action: str,
    comment: str = "",
    copy_to_gold: bool = False,
    to: int | str | None = None,
    who: access.Access | None = None,
) -> str:
    """One workflow step (start, submit, approve, changes, reassign, withdraw); what happened,
    in words. Who may take which step is `access.require_task_action`'s to check first."""
    if action in ("start", "submit"):
        to_state = State.SUBMITTED if action == "submit" else State.IN_PROGRESS
        transition(user=user, task_id=task.pk, to=to_state, as_reviewer=False)
        return "Submitted for review." if action == "submit" else "Started."
    if action == "approve":
        _, plan = approve(user=user, task_id=task.pk, copy_to_gold=copy_to_gold, who=who)
        return "Approved" + (f"; {plan.summary(done=True)}." if plan else ".")
    if action == "changes":
        to_state = State.CHANGES_REQUESTED
        transition(user=user, task_id=task.pk, to=to_state, as_reviewer=True, comment=comment)
        return "Changes requested."
    if action == "withdraw":
        withdraw(manager=user, task_id=task.pk)
        return "Withdrawn; the work done is kept in its layer."
    if action == "reassign":
        target = (
            get_user_model()
            .objects.filter(
                pk=to or 0,
                membership__project=task.project_id,
                membership__role=Membership.Role.ANNOTATOR,
            )
            .first()
        )
        if target is None:
            raise NotAnAnnotator("pick an annotator of this project")
        reassign(manager=user, task_id=task.pk, to=target)
        return f"Reassigned to {target}, with the work done so far."
    raise ValueError(f"unknown task action {action!r}")


@transaction.atomic
def withdraw(*, manager: AbstractBaseUser, task_id: int) -> Task:
    """Withdraw a task; its layer and every edit in it are kept."""
    task = Task.objects.select_for_update().get(pk=task_id)
    if task.state in (State.APPROVED, State.WITHDRAWN):
        raise TaskError("this task is already closed")
    old = task.state
    task.state = State.WITHDRAWN
    task.save(update_fields=["state", "updated_at"])
    record_event(task, manager, old, State.WITHDRAWN)
    return task


# How stale a task's touched_at may get before an edit writes it again: abandonment is judged
# in hours, so one UPDATE a minute says as much as one per edit.
TOUCH_EVERY = timedelta(minutes=1)


def note_activity(
    *, user: AbstractBaseUser, layer: TagLayer, position: int, known: list[Task] | None = None
) -> bool:
    """An annotator edited: their task there is in progress and not abandoned. `known`: the
    user's tasks in the layer's document, already loaded (access.Access.tasks_in), so none is
    read again. True if a task changed state (its banner on the page changes)."""
    now = timezone.now()
    if known is not None:
        mine = [t for t in known if t.layer_id == layer.pk and t.covers(position)]
        mine = [t for t in mine if t.state in Task.OPEN_STATES]
        if not any(_to_note(task, now) for task in mine):
            return False
    tasks = Task.objects.filter(
        layer=layer,
        annotator=user,
        first_sentence__lte=position,
        end_sentence__gt=position,
        state__in=Task.OPEN_STATES,
    )
    if known is None:
        starting = [task.pk for task in tasks.filter(state=State.ASSIGNED)]
    else:
        starting = [task.pk for task in mine if task.state == State.ASSIGNED]
    for pk in starting:
        transition(user=user, task_id=pk, to=State.IN_PROGRESS, as_reviewer=False)
    tasks.update(touched_at=now)
    return bool(starting)


def _to_note(task: Task, now) -> bool:
    """Whether an edit in this open task changes anything: it starts, or was touched long ago."""
    recent = task.touched_at is not None and now - task.touched_at < TOUCH_EVERY
    return task.state == State.ASSIGNED or not recent
