"""Tasks and people: my tasks, the review queue, the dashboard, assignment, members, settings."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from annotator import access, selectors
from annotator.access import ANNOTATOR, MANAGER, REVIEWER
from annotator.forms import AssignForm, MemberForm, ProjectSettingsForm
from annotator.models import Membership, Task, TaskEvent
from annotator.services import approval, assignment, workflow
from annotator.services.members import MemberError, add_member
from annotator.views.labels import labels_context

State = Task.State


_with_progress = selectors.tasks_with_progress


def _open_url(task: Task) -> str:
    page = task.first_sentence // settings.SENTENCES_PER_PAGE + 1
    query = urlencode({"layer": task.layer.name if task.layer else "", "page": page})
    return reverse("annotator-document-detail", args=[task.document_id]) + "?" + query


@login_required
@require_GET
def my_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, ANNOTATOR)
    tasks = list(
        Task.objects.filter(project=who.project, annotator=request.user)
        .exclude(state=State.WITHDRAWN)
        .select_related("document", "layer")
        .order_by("state", "due", "created_at")
    )
    for task in _with_progress(tasks):
        task.url = _open_url(task)
    today = timezone.localdate()
    return render(
        request,
        "annotator/my_tasks.html",
        {"project": who.project, "access": who, "tasks": tasks, "today": today},
    )


@login_required
@require_POST
def start_next(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, ANNOTATOR)
    task = assignment.next_task(user=request.user, project=who.project)
    if task is None:
        messages.info(request, "No task is waiting for you. Well done.")
        return redirect("annotator-my-tasks", pk=pk)
    return redirect(_open_url(task))


@login_required
@require_GET
def review_queue(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, REVIEWER)
    tasks = list(
        Task.objects.filter(project=who.project, state=State.SUBMITTED)
        .select_related("document", "layer", "annotator")
        .order_by("submitted_at", "pk")
    )
    for task in _with_progress(tasks):
        task.url = _open_url(task)
        task.compare_url = (
            reverse("annotator-document-compare", args=[task.document_id])
            + "?"
            + urlencode({"left": "imported", "right": task.layer.name})
        )
    return render(
        request, "annotator/queue.html", {"project": who.project, "access": who, "tasks": tasks}
    )


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int) -> HttpResponse:
    """One workflow step on a task: submit, approve, request changes, reassign, withdraw."""
    task = Task.objects.filter(pk=pk).first()
    if task is None:
        raise Http404("No such task.")
    who = access.project_access(request.user, task.project_id)
    action = request.POST.get("action", "")
    access.require_task_action(who=who, task=task, action=action)
    if action == "submit" and request.POST.get("confirm") != "1":
        unsure = _confirm_submit(request, task)
        if unsure is not None:
            return unsure
    try:
        done = workflow.act_on_task(
            user=request.user,
            who=who,
            task=task,
            action=action,
            comment=request.POST.get("comment", ""),
            copy_to_gold=request.POST.get("copy_to_gold") == "1",
            to=request.POST.get("to"),
        )
    except (assignment.TaskError, access.WriteRefused) as error:
        messages.error(request, f"Not done: {str(error).rstrip('.')}.")
    else:
        messages.success(request, done)
    return redirect(safe_next(request) or reverse("annotator-my-tasks", args=[task.project_id]))


def _confirm_submit(request: HttpRequest, task: Task) -> HttpResponse | None:
    """A task with sentences not marked reviewed is submitted only once its annotator has seen
    how many and said yes; None when every sentence is reviewed."""
    (task,) = selectors.tasks_with_progress([task])
    if not task.unreviewed:
        return None
    task.url = _open_url(task)
    context = {"task": task, "project": task.project, "next": safe_next(request) or ""}
    return render(request, "annotator/submit_confirm.html", context)


def safe_next(request: HttpRequest) -> str | None:
    """The form's `next` if it is a page of this site; never another host (an open redirect)."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else None


@login_required
@require_GET
@vary_on_headers("HX-Request")
def task_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """What approving the task would do to gold, before it is done, with the button that does
    it (an htmx fragment in the review queue; a page of its own without JavaScript)."""
    task = Task.objects.select_related("document", "annotator", "layer").filter(pk=pk).first()
    if task is None:
        raise Http404("No such task.")
    who = access.project_access(request.user, task.project_id)
    access.require_task_action(who=who, task=task, action="approve")
    context = {
        "project": who.project,
        "access": who,
        "task": task,
        "plan": approval.plan_approval(task) if task.layer_id else None,
        "next": reverse("annotator-queue", args=[task.project_id]),
    }
    template = "annotator/approval.html"
    if request.htmx:
        template += "#approval"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, MANAGER)
    project = who.project
    form = AssignForm(project, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["mode"] == "auto":
                tasks, short = assignment.auto_assign(
                    manager=request.user,
                    project=project,
                    documents=list(data["documents"]),
                    annotators=list(data["annotators"]) or None,
                    start_layer=data["start_layer"],
                    due=data["due"],
                )
                if short:
                    messages.warning(request, f"{len(short)} documents could not get k annotators.")
            else:
                tasks = assignment.assign(
                    manager=request.user,
                    project=project,
                    documents=list(data["documents"]),
                    annotators=list(data["annotators"]),
                    start_layer=data["start_layer"],
                    due=data["due"],
                )
            created = tasks.count()
            messages.success(request, f"Created {created} task{'s' * (created != 1)}.")
        except assignment.TaskError as error:
            messages.error(request, f"Nothing assigned: {error}.")
        return redirect("annotator-assign", pk=pk)
    tasks = list(
        Task.objects.filter(project=project)
        .exclude(state=State.WITHDRAWN)
        .select_related("document", "annotator", "layer")
        .order_by("document__position", "first_sentence", "annotator__username")
    )
    _reassign_choices(tasks, list(form.fields["annotators"].queryset))
    context = {"project": project, "access": who, "form": form, "tasks": tasks}
    return render(request, "annotator/assign.html", context)


def _reassign_choices(tasks: list[Task], annotators: list) -> None:
    """Attach to each task the annotators it can be reassigned to: not its own, and not one
    who already has that part of the document (the service refuses those)."""
    holding = {(t.document_id, t.first_sentence, t.annotator_id) for t in tasks}
    for task in tasks:
        part = (task.document_id, task.first_sentence)
        task.reassign_to = [a for a in annotators if (*part, a.pk) not in holding]


@login_required
@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, MANAGER)
    project = who.project
    assignment.release_abandoned(project=project)
    tasks = list(
        Task.objects.filter(project=project)
        .exclude(state=State.WITHDRAWN)
        .select_related("document", "annotator", "layer")
    )
    _with_progress(tasks)
    people: dict[str, dict] = {}
    documents: dict[str, dict] = {}
    for task in tasks:
        name = str(task.annotator or "(pool)")
        for table, key in ((people, name), (documents, task.document.name)):
            row = table.setdefault(key, {"tasks": 0, "done": 0, "sentences": 0, "reviewed": 0})
            row["tasks"] += 1
            row["done"] += task.state == State.APPROVED
            row["sentences"] += task.sentence_count
            row["reviewed"] += task.reviewed
    today = timezone.localdate()
    overdue = [t for t in tasks if t.due and t.due < today and t.state in Task.OPEN_STATES]
    context = {
        "project": project,
        "access": who,
        "people": sorted(people.items()),
        "documents": sorted(documents.items()),
        "overdue": overdue,
        "throughput": _throughput(project, today),
    }
    return render(request, "annotator/dashboard.html", context)


def _throughput(project, today) -> list[dict]:
    """Sentences marked reviewed and tasks submitted per day, the last 14 days."""
    start = today - timedelta(days=13)
    reviewed = dict(
        TaskEvent.objects.filter(
            task__project=project, to_state=State.SUBMITTED, created_at__date__gte=start
        )
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days = [start + timedelta(days=i) for i in range(14)]
    top = max([1, *reviewed.values()])
    bars = []
    for i, day in enumerate(days):
        # The chart is 420 x 80: 14 slots 30 wide, bars up to 60 high standing on y = 70.
        n = reviewed.get(day, 0)
        height = 60 * n // top
        bars.append({"day": day, "n": n, "height": height, "x": i * 30 + 4, "y": 70 - height})
    return bars


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, MANAGER)
    project = who.project
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            add_member(
                project=project,
                username=data["username"],
                password=data["password"],
                roles=data["roles"],
            )
        except MemberError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{data['username']} is a member now.")
            return redirect("annotator-members", pk=pk)
    rows = (
        Membership.objects.filter(project=project)
        .select_related("user")
        .order_by("user__username", "role")
    )
    by_user: dict = {}
    for row in rows:
        by_user.setdefault(row.user, []).append(row.get_role_display())
    context = {"project": project, "access": who, "form": form, "members": by_user.items()}
    return render(request, "annotator/members.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, MANAGER)
    form = ProjectSettingsForm(request.POST or None, instance=who.project)
    if request.method == "POST" and form.is_valid():
        form.save()
        calibration = {int(x) for x in request.POST.getlist("calibration") if x.isdigit()}
        documents = who.project.documents
        documents.update(calibration=False)
        documents.filter(pk__in=calibration).update(calibration=True)
        messages.success(request, "Settings saved.")
        return redirect("annotator-settings", pk=pk)
    context = {
        "project": who.project,
        "access": who,
        "form": form,
        "documents": who.project.documents.order_by("position"),
        **labels_context(who.project),
    }
    return render(request, "annotator/settings.html", context)
