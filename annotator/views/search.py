"""Find a word or phrase across a project or document, and relabel its occurrences in bulk."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotator import access, search, selectors
from annotator.services import editing

TEMPLATE = "annotator/search.html"


def _scope(request: HttpRequest, project):
    value = request.POST.get("document") or request.GET.get("document")
    if not value or not value.isdigit():
        return None
    return get_object_or_404(project.documents, pk=int(value))


@login_required
@require_GET
def project_search(request: HttpRequest, pk: int) -> HttpResponse:
    project = access.project_access(request.user, pk, access.REVIEWER).project
    document = _scope(request, project)
    phrase = request.GET.get("q", "").strip()[: search.MAX_PHRASE]
    result = search.find(project, phrase, document=document) if phrase else None
    context = {
        "project": project,
        "document": document,
        "phrase": phrase,
        "result": result,
        "palette": selectors.palette(project),
    }
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def project_relabel(request: HttpRequest, pk: int) -> HttpResponse:
    """Without `confirm`: preview the sentences that would change. With it: apply exactly those."""
    who = access.project_access(request.user, pk, access.REVIEWER)
    project = who.project
    document = _scope(request, project)
    phrase = request.POST.get("q", "").strip()[: search.MAX_PHRASE]
    label = request.POST.get("label") or None
    group = next(
        (
            g
            for g in search.find(project, phrase, document=document).groups
            if g.tagging == request.POST.get("tagging")
        ),
        None,
    )
    context = {"project": project, "document": document, "phrase": phrase, "label": label}
    if group is None:
        context["message"] = "These occurrences are no longer tagged this way; search again."
        return render(request, TEMPLATE + "#relabel-preview", context, status=409)
    if label and label not in project.labels:
        context["message"] = f"{label!r} is not one of the project's labels."
        return render(request, TEMPLATE + "#relabel-preview", context, status=422)
    if request.POST.get("confirm") != "1":
        schemes = dict(project.documents.values_list("pk", "scheme"))
        context["group"] = group
        context["plans"] = editing.plan_relabel(group.occurrences, label, schemes)
        return render(request, TEMPLATE + "#relabel-preview", context)
    return _apply(request, who, group, label, context)


def _apply(request, who: access.Access, group, label, context) -> HttpResponse:
    project = who.project
    keys = set(request.POST.getlist("occurrence"))
    chosen = [o for o in group.occurrences if o.key in keys]
    try:
        if len(chosen) != len(keys):
            raise editing.StaleEdit(None, "Some of these sentences changed since the preview.")
        changed = editing.relabel(
            user=request.user, who=who, project=project, occurrences=chosen, label=label
        )
    except (editing.StaleEdit, editing.EditRejected, access.WriteRefused) as error:
        context["message"] = f"{error} Nothing was relabelled; search again."
        return render(request, TEMPLATE + "#relabel-preview", context, status=409)
    target = label or "no entity"
    messages.success(request, f"Relabelled {changed} sentence{'s' * (changed != 1)} as {target}.")
    query = {"q": context["phrase"]}
    if context["document"] is not None:
        query["document"] = context["document"].pk
    url = reverse("annotator-project-search", args=[project.pk]) + "?" + urlencode(query)
    response = redirect(url)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
    return response
