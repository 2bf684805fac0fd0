"""Pages and htmx fragments. Thin: access checks via selectors, writes via services."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotator import access, selectors, services
from annotator.access import MANAGER, REVIEWER
from annotator.downloads import download, export_name
from annotator.forms import ExportForm, UploadForm
from annotator.nlp import conll


def home(request: HttpRequest) -> HttpResponse:
    return redirect("annotator-project-list")


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = access.projects_for(request.user)
    return render(request, "annotator/project_list.html", {"projects": projects})


@login_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk)
    return render(request, "annotator/project_detail.html", _project_context(who))


def _project_context(who: access.Access, **extra) -> dict:
    project = who.project
    documents = list(who.documents().order_by("position"))
    colours = selectors.label_colours(project)
    return {
        "project": project,
        "access": who,
        "documents": documents,
        "labels": [(label, colours[label]) for label in project.labels],
        "sentences": sum(d.sentence_count for d in documents),
        "tokens": sum(d.token_count for d in documents),
        "form": extra.pop("form", None) or UploadForm(),
        **extra,
    }


@login_required
@require_POST
@vary_on_headers("HX-Request")
def project_upload(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, MANAGER)
    project = who.project
    form = UploadForm(request.POST, request.FILES)
    context: dict = {"form": form}
    status = 200
    if form.is_valid() and services.import_needs_job(form.cleaned_data["files"]):
        data = form.cleaned_data
        context["job"] = services.start_import_job(
            user=request.user,
            project=project,
            files=data["files"],
            scheme_name=data["scheme"],
            encoding=data["encoding"],
            tag_column=data["tag_column"],
        )
        context["workers_alive"] = services.workers_alive()
        context["form"] = UploadForm()
    elif form.is_valid():
        data = form.cleaned_data
        try:
            context["summary"] = services.import_conll(
                project_name=project.name,
                files=[(f.name, f) for f in data["files"]],
                scheme_name=data["scheme"],
                encoding=data["encoding"],
                tag_column=data["tag_column"],
            )
            context["form"] = UploadForm()
        except conll.ConllError as error:
            context["problems"] = error.problems
            status = 400
        project.refresh_from_db()
    else:
        status = 400
    template = "annotator/project_detail.html"
    if request.htmx:
        template += "#project-body"
    return render(request, template, _project_context(who, **context), status=status)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document, who = access.document_access(request.user, pk)
    visible = document.layers.filter(who.layer_filter(document)).order_by("pk")
    layers = {layer.name: layer for layer in visible}
    if not layers:
        raise Http404("This document has no tag layer you may see.")
    layer = request.GET.get("layer") or access.default_layer(layers=layers, who=who)
    if layer not in layers:
        raise Http404("No such layer.")
    edit_layer = _edit_layer_name(layers[layer], who)
    read_only = _read_only(layers[layer], layers.get(edit_layer) if edit_layer else None, who)
    per_page = settings.SENTENCES_PER_PAGE
    pages = max(1, -(-document.sentence_count // per_page))
    page = _page_number(request.GET.get("page"), pages)
    context = {
        "document": document,
        "project": document.project,
        "layers": list(layers),
        "layer": layer,
        "edit_layer_name": edit_layer or "",
        "edit_layer": layers.get(edit_layer) if edit_layer else None,
        # The layer rule's answer for this page: why its edits would be refused, if they would.
        "writable": not read_only,
        "read_only": read_only,
        "access": who,
        "my_tasks": [t for t in who.tasks() if t.document_id == document.pk]
        if who.is_annotator
        else [],
        "shown_layer": layers[layer],
        "raw": request.GET.get("raw") == "1",
        "page": page,
        "pages": pages,
        "next_page": page + 1 if page < pages else None,
        "previous_page": page - 1 if page > 1 else None,
        "sentences": selectors.sentence_page(document, layer, page, per_page),
        "palette": selectors.palette(document.project),
    }
    template = "annotator/document_detail.html"
    if request.htmx and request.GET.get("fragment") == "sentences":
        template += "#sentence-page"
    return render(request, template, context)


def _edit_layer_name(shown, who: access.Access) -> str | None:
    """Where the page's edits go: the shown layer if it is gold or the viewer's own, gold
    for reviewers viewing the imported tags (created on the first edit), the annotator's own
    layer for annotators viewing the imported tags; None for anyone else's layer."""
    if shown.kind == shown.Kind.GOLD or shown.owner_id == who.user.pk:
        return shown.name
    if shown.kind != shown.Kind.IMPORTED:
        return None
    if who.is_reviewer:
        return services.GOLD
    own = [t.layer.name for t in who.tasks() if t.document_id == shown.document_id and t.layer]
    return own[0] if own else None


def _read_only(shown, target, who: access.Access) -> str:
    """Why this page's edits would be refused (the layer rule, access.py), or "" if not."""
    if target is not None:
        return who.write_refusal(target) or ""
    if shown.kind == shown.Kind.IMPORTED and who.is_reviewer:
        return ""  # edits start gold
    return who.write_refusal(shown) or "This layer is read-only for you."


def _page_number(value: str | None, pages: int) -> int:
    try:
        return min(max(1, int(value or 1)), pages)
    except ValueError:
        return 1


@login_required
@require_GET
def document_export(request: HttpRequest, pk: int) -> HttpResponse:
    document, _ = access.document_access(request.user, pk, REVIEWER)
    form = ExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    layer = form.cleaned_data["layer"] or None
    if layer and not document.layers.filter(name=layer).exists():
        raise Http404("No such layer.")
    chunks = services.export_document(
        document, layer_name=layer, scheme_name=form.cleaned_data["scheme"] or "keep"
    )
    return download(chunks, export_name(document.name), f"text/plain; charset={document.encoding}")


@login_required
@require_GET
def project_export(request: HttpRequest, pk: int) -> HttpResponse:
    project = access.project_access(request.user, pk, MANAGER).project
    form = ExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    layer = form.cleaned_data["layer"] or None
    if layer and project.documents.exclude(layers__name=layer).exists():
        return HttpResponse(
            f"Not every document has a layer named {layer!r}.",
            status=400,
            content_type="text/plain",
        )
    chunks = services.export_project(
        project, layer_name=layer, scheme_name=form.cleaned_data["scheme"] or "keep"
    )
    return download(chunks, export_name(project.name), "application/octet-stream")
