"""Tasks: list, assign (the Assign page's form and services), one task, workflow steps."""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from annotator import access
from annotator.api import permissions
from annotator.api.exceptions import invalid, validated, validated_query
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import responses
from annotator.api.serializers import (
    ApprovalPreviewSerializer,
    AssignedSerializer,
    AssignSerializer,
    TaskQuerySerializer,
    TaskSerializer,
    TransitionSerializer,
)
from annotator.forms import AssignForm
from annotator.models import Task
from annotator.services import approval, assignment, workflow

TAGS = ["tasks"]
State = Task.State


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_tasks_list",
    summary="Tasks: reviewers and managers see all, annotators their own",
    description="Withdrawn tasks only when asked for with state=withdrawn.",
    parameters=[TaskQuerySerializer, *PAGE_PARAMETERS],
    responses=responses({200: page_of(TaskSerializer)}, 400, 403, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_tasks_create",
    summary="Assign documents to annotators, by hand or automatically (managers)",
    description="The Assign page's rules: auto gives each document (split by the task size) to "
    "k annotators with the least open work, never the same part twice to one person, within "
    "the cap; by hand gives every document to every annotator named.",
    request=AssignSerializer,
    responses=responses({201: AssignedSerializer}, 400, 403, 404, 409),
)
@api_view(["GET", "POST"])
def task_list(request: Request, pk: int) -> Response:
    if request.method == "POST":
        return _assign(request, permissions.project(request, pk, access.MANAGER))
    who = permissions.project(request, pk, access.ANNOTATOR)
    query = validated_query(TaskQuerySerializer, request.query_params)
    tasks = Task.objects.filter(project=who.project).select_related("annotator", "layer")
    if not who.is_reviewer:
        tasks = tasks.filter(annotator=request.user)
    if query.get("state"):
        tasks = tasks.filter(state=query["state"])
    else:
        tasks = tasks.exclude(state=State.WITHDRAWN)
    if query.get("annotator"):
        tasks = tasks.filter(annotator__username=query["annotator"])
    if query.get("document"):
        tasks = tasks.filter(document_id=query["document"])
    return paginated(request, tasks.order_by("created_at", "pk"), TaskSerializer)


def _assign(request: Request, who: access.Access) -> Response:
    data = validated(AssignSerializer, request.data)
    form = AssignForm(who.project, {"annotators": [], **data})  # the page's form and checks
    if not form.is_valid():
        raise invalid(form.errors)
    choice = form.cleaned_data
    arguments = {
        "manager": request.user,
        "project": who.project,
        "documents": list(choice["documents"]),
        "start_layer": choice["start_layer"],
        "due": choice["due"],
    }
    if choice["mode"] == "auto":
        tasks, short = assignment.auto_assign(
            annotators=list(choice["annotators"]) or None, **arguments
        )
    else:
        tasks, short = assignment.assign(annotators=list(choice["annotators"]), **arguments), []
    tasks = tasks.select_related("annotator", "layer")
    body = {"tasks": TaskSerializer(tasks, many=True).data, "unstaffed": len(short)}
    return Response(body, status=status.HTTP_201_CREATED)


def _task(request: Request, pk: int) -> tuple[Task, access.Access]:
    task = Task.objects.filter(pk=pk).select_related("annotator", "layer").first()
    if task is None:
        raise Http404("No such task.")
    return task, permissions.project(request, task.project_id)


@extend_schema(
    tags=TAGS,
    operation_id="tasks_retrieve",
    summary="One task (reviewers, managers, or its annotator)",
    responses=responses({200: TaskSerializer}, 404),
)
@api_view(["GET"])
def task_detail(request: Request, pk: int) -> Response:
    task, who = _task(request, pk)
    if not who.is_reviewer and task.annotator_id != request.user.pk:
        raise Http404("No such task.")
    return Response(TaskSerializer(task).data)


@extend_schema(
    tags=TAGS,
    operation_id="tasks_transition",
    summary="One workflow step: start, submit, approve, changes, reassign, withdraw",
    description="assigned -> in progress -> submitted -> approved, or changes requested (with "
    "a comment) -> in progress; each recorded. Approve can copy the task's sentences into "
    "gold, never over a reviewer's edit or decision, and never where another finished task "
    "reads them differently (those go to adjudication; see the approval preview); reassign "
    "copies the work done into the new annotator's layer. A step the task's "
    "state does not allow is answered 409.",
    request=TransitionSerializer,
    responses=responses({200: TaskSerializer}, 400, 403, 404, 409),
)
@api_view(["POST"])
def task_transition(request: Request, pk: int) -> Response:
    task, who = _task(request, pk)
    data = validated(TransitionSerializer, request.data)
    _step(request, who, task, data)
    task = Task.objects.select_related("annotator", "layer").get(pk=task.pk)
    return Response(TaskSerializer(task).data)


def _step(request: Request, who: access.Access, task: Task, data: dict) -> None:
    """The task page's rules (access.require_task_action, workflow.act_on_task), answered as
    the API answers: a reassignment to someone who is not an annotator here is invalid input."""
    access.require_task_action(who=who, task=task, action=data["action"])
    try:
        workflow.act_on_task(
            user=request.user,
            who=who,
            task=task,
            action=data["action"],
            comment=data["comment"],
            copy_to_gold=data["copy_to_gold"],
            to=data.get("to"),
        )
    except assignment.NotAnAnnotator as error:
        raise invalid({"to": ["Pick an annotator of this project."]}) from error


@extend_schema(
    tags=TAGS,
    operation_id="tasks_approval_preview",
    summary="What approving the task with copy_to_gold would do to gold (reviewers)",
    description="The same plan approve carries out, without doing it: how many sentences it "
    "copies into gold, how many already read the same, which disagree with another finished "
    "task (submitted or approved) over the same sentences and so go to adjudication instead, "
    "and how many keep a reviewer's edit or an adjudication decision in gold. Approval never "
    "overwrites reviewer work.",
    responses=responses({200: ApprovalPreviewSerializer}, 403, 404),
)
@api_view(["GET"])
def task_approval(request: Request, pk: int) -> Response:
    task, who = _task(request, pk)
    access.require_task_action(who=who, task=task, action="approve")
    if task.layer_id is None:
        raise Http404("This task has no layer yet.")
    return Response(approval.plan_approval(task).as_dict())


urlpatterns = [
    path("projects/<int:pk>/tasks/", task_list, name="annotator-api-task-list"),
    path("tasks/<int:pk>/", task_detail, name="annotator-api-task-detail"),
    path("tasks/<int:pk>/transition/", task_transition, name="annotator-api-task-transition"),
    path("tasks/<int:pk>/approval/", task_approval, name="annotator-api-task-approval"),
]
