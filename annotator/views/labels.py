"""The Settings page's Labels section: add, rename, recolour, reorder, merge, remove (htmx)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from annotator import access, selectors
from annotator.access import MANAGER
from annotator.models import Project
from annotator.nlp import palette
from annotator.services import label_changes
from annotator.services.labels import LabelError


def labels_context(project: Project) -> dict:
    """What the Labels section shows: each label with its key and colour, the colour names."""
    return {
        "label_rows": selectors.palette(project),
        "colour_names": list(enumerate(palette.NAMES)),
    }


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def project_labels(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, MANAGER)
    context: dict = {}
    status = 200
    if request.method == "POST":
        try:
            context = _act(request, who.project)
        except label_changes.PreviewOutdated as error:
            context = {"notice": f"Not done: {error}.", "error": True}
            context["plan"] = _plan(who.project, request.POST)
            status = 409
        except LabelError as error:
            context = {"notice": f"Not done: {error}.", "error": True}
            status = 400
    if not request.htmx:  # without JavaScript: back to the page, the notice flashed
        if context.get("notice"):
            level = messages.ERROR if context.get("error") else messages.SUCCESS
            messages.add_message(request, level, context["notice"])
        return redirect("annotator-settings", pk=pk)
    project = Project.objects.get(pk=pk)
    context.update(project=project, **labels_context(project))
    return render(request, "annotator/settings.html#labels", context, status=status)


def _plan(project: Project, data) -> label_changes.LabelPlan:
    into = data.get("into") or None if data.get("action") == "merge" else None
    return label_changes.plan_label_change(project=project, label=data.get("label", ""), into=into)


def _act(request: HttpRequest, project: Project) -> dict:
    """Do what the form asked; what the section says about it."""
    data, user = request.POST, request.user
    action, label = data.get("action"), data.get("label", "")
    if action == "add":
        colour = _number(data, "colour") if data.get("colour") else None
        name = label_changes.add_label(project=project, name=data.get("name", ""), colour=colour)
        return {"notice": f"Added {name}."}
    if action == "rename":
        new_name = data.get("new_name", "").strip()
        spans = label_changes.rename_label(
            user=user, project=project, label=label, new_name=new_name
        )
        return {"notice": f"Renamed {label} to {new_name} ({_spans(spans)} renamed)."}
    if action == "colour":
        label_changes.set_colour(project=project, label=label, colour=_number(data, "colour"))
        return {"notice": f"{label} has a new colour."}
    if action in ("up", "down"):
        label_changes.move_label(project=project, label=label, offset=-1 if action == "up" else 1)
        return {"notice": f"Moved {label} {action}; the keys follow the order."}
    if action in ("merge", "remove"):
        return _merge_or_remove(request, project, action, label)
    raise LabelError(f"unknown action {action!r}")


def _merge_or_remove(request: HttpRequest, project: Project, action: str, label: str) -> dict:
    """First a preview (a label nobody used is removed at once); then, confirmed, the change."""
    data, user = request.POST, request.user
    into = data.get("into", "") if action == "merge" else None
    if action == "merge" and not into:
        raise LabelError("pick the label to merge it into")
    if "confirm" not in data:
        plan = _plan(project, data)
        if action == "remove" and plan.spans == 0:
            label_changes.remove_label(user=user, project=project, label=label, preview=plan.token)
            return {"notice": f"Removed {label} (no span used it)."}
        return {"plan": plan}
    preview = data.get("preview", "")
    if action == "merge":
        spans = label_changes.merge_labels(
            user=user, project=project, label=label, into=into, preview=preview
        )
        return {"notice": f"Merged {label} into {into}: {_spans(spans)} relabelled."}
    spans = label_changes.remove_label(user=user, project=project, label=label, preview=preview)
    return {"notice": f"Removed {label} and its {_spans(spans)}."}


def _number(data, name: str) -> int:
    try:
        return int(data.get(name, ""))
    except ValueError as error:
        raise LabelError(f"{name} must be a number") from error


def _spans(count: int) -> str:
    return f"{count} span{'s' * (count != 1)}"
