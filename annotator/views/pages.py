"""Pages and htmx fragments. Thin: access checks via selectors, writes via services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from annotator import access, params, rows, selectors
from annotator.access import MANAGER, REVIEWER
from annotator.downloads import download, export_name
from annotator.forms import ExportForm, UploadForm
from annotator.jobs import export as export_job
from annotator.models import GOLD, TagLayer
from annotator.nlp import conll
from annotator.nlp.formats import registry
from annotator.refusals import with_reason
from annotator.services import corpus, exports, jobs, labels, learning
from annotator.views.projects import setup_context


def home(request: HttpRequest) -> HttpResponse:
    return redirect("annotator-project-list")


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = access.projects_for(request.user)
    context = setup_context(request, projects=projects)
    return render(request, "annotator/project_list.html", context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk)
    template = "annotator/project_detail.html"
    if request.htmx:  # the upload prompt's Cancel: a fresh form
        template += "#project-body"
    cancelled = request.GET.get("cancelled") == "1"
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() else 1
    return render(request, template, _project_context(who, page=page, cancelled=cancelled))


def _project_context(who: access.Access, page: int = 1, **extra) -> dict:
    project = who.project
    documents = who.documents()
    # A file split at -DOCSTART- lines, or one document per text, gives thousands of rows:
    # the counts come from the database and the table shows one page of them.
    totals = documents.aggregate(
        count=Count("id"), sentences=Sum("sentence_count"), tokens=Sum("token_count")
    )
    count, tokens = totals["count"], totals["tokens"] or 0
    pages = max(1, -(-count // settings.DOCUMENTS_PER_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * settings.DOCUMENTS_PER_PAGE
    return {
        "project": project,
        "access": who,
        "documents": list(
            documents.order_by("position")[start : start + settings.DOCUMENTS_PER_PAGE]
        ),
        "document_count": count,
        "page": page,
        "pages": pages,
        "labels": selectors.palette(project),
        "sentences": totals["sentences"] or 0,
        "tokens": tokens,
        "export_as_job": exports.too_large_for_a_request(count, tokens),
        "form": extra.pop("form", None) or UploadForm(),
        "formats": list(registry.FORMATS.values()),
        **extra,
    }


@login_required
@require_POST
@vary_on_headers("HX-Request")
def project_upload(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, MANAGER)
    project = who.project
    form = UploadForm(request.POST, request.FILES)
    policy = labels.choices_to_policy(
        request.POST.getlist("new_label"), request.POST.getlist("new_label_choice")
    )
    context: dict = {"form": form, "mapped": policy.mapping}
    status = 200
    if form.is_valid() and corpus.import_needs_job(form.cleaned_data["files"]):
        data = form.cleaned_data
        context["job"] = corpus.start_import_job(
            user=request.user,
            project=project,
            files=data["files"],
            scheme_name=data["scheme"],
            encoding=data["encoding"],
            tag_column=data["tag_column"],
            format_name=data["format"],
            labels=data["labels"],
            new_labels=policy,
        )
        context["workers_alive"] = jobs.workers_alive()
        context["form"] = UploadForm()
    elif form.is_valid():
        data = form.cleaned_data
        try:
            context["summary"] = corpus.import_corpus(
                project_name=project.name,
                files=[(f.name, f) for f in data["files"]],
                format_name=data["format"],
                scheme_name=data["scheme"],
                encoding=data["encoding"],
                tag_column=data["tag_column"],
                labels=data["labels"],
                new_labels=policy,
            )
            context["form"] = UploadForm()
        except conll.ConllError as error:
            context["problems"] = error.problems
            status = 400
        except labels.UnknownLabels as error:
            return _ask_about_labels(request, who, error.labels)
        except labels.LabelError as error:
            context["problems"] = [f"Nothing was imported: {error}."]
            status = 400
        project.refresh_from_db()
    else:
        status = 400
    template = "annotator/project_detail.html"
    if request.htmx:
        template += "#project-body"
    response = render(request, template, _project_context(who, **context), status=status)
    if status == 400:  # the fixed status region says so too, the form lists the problems
        response = with_reason(response, "Nothing was imported: the upload form lists why.")
    return response


def _ask_about_labels(request: HttpRequest, who: access.Access, unknown: list[str]):
    """Nothing was imported: ask, inside the upload form (so the chosen file stays chosen),
    what to do with each label the project lacks."""
    fields = ("format", "scheme", "encoding", "tag_column", "labels")
    initial = {name: request.POST.get(name) for name in fields}
    context = _project_context(who, form=UploadForm(initial=initial), unknown_labels=unknown)
    if not request.htmx:
        return render(request, "annotator/project_detail.html", context)
    response = render(request, "annotator/project_detail.html#label-prompt", context)
    return reswap(retarget(response, f"#label-prompt-{who.project.pk}"), "innerHTML")


@login_required
@require_GET
@vary_on_headers("HX-Request")
@never_cache  # Back must never show old tags at an old version (the next key would get a 409)
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document, who = access.document_access(request.user, pk)
    if request.htmx and request.GET.get("fragment") == "live-model":
        return _live_model(request, document)
    # Every layer, then the visible ones (`sees_layer` is `layer_filter` in Python): a
    # statement written once costs less than building the filtered queryset (rows.py).
    every = rows.select(TagLayer, "x.document_id = %s", [document.pk], order="x.id")
    layers = {layer.name: layer for layer in every if who.sees_layer(document, layer)}
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
    models = [v for v in layers.values() if v.kind == v.Kind.MODEL]
    live = learning.live_model(document.project) if not read_only else None
    source = _suggestion_source(request, models, layers[layer], read_only)
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
        "my_tasks": selectors.tasks_with_progress(
            [t for t in who.tasks() if t.document_id == document.pk] if who.is_annotator else []
        ),
        "shown_layer": layers[layer],
        "raw": request.GET.get("raw") == "1",
        "page": page,
        "pages": pages,
        "next_page": page + 1 if page < pages else None,
        "previous_page": page - 1 if page > 1 else None,
        "order": "document",
        "live": live,
        "seen": str(live.version) if live else "0",
        "live_layer": learning.LIVE_LAYER,
        "suggestion_layers": [m.name for m in models],
        "suggest": source.name if source else "",
        "palette": selectors.palette(document.project),
        "formats": list(registry.FORMATS.values()),
    }
    if source is not None and request.GET.get("order") == "uncertain":
        # The uncertainty queue: one page of the least confident unreviewed sentences.
        context["order"] = "uncertain"
        context["sentences"] = selectors.uncertainty_queue(
            document, layer, edit_layer or layer, source, per_page
        )
        context.update(next_page=None, previous_page=None)
    else:
        context["sentences"] = selectors.sentence_page(
            document, layers[layer], page, per_page, source=source
        )
    context["sentence_rows"] = selectors.sentences_html(context["sentences"])
    template = "annotator/document_detail.html"
    if request.htmx and request.GET.get("fragment") == "sentences":
        template += "#sentence-page"
    return render(request, template, context)


def _live_model(request: HttpRequest, document) -> HttpResponse:
    """The retrain-as-you-go model's version and F1, polled by the review page: a newer version
    than the page's (`seen`) offers its refreshed suggestions."""
    live = learning.live_model(document.project)
    context = {
        "document": document,
        "project": document.project,
        "live": live,
        "seen": request.GET.get("seen", "0"),
        "layer": request.GET.get("layer", ""),
        "live_layer": learning.LIVE_LAYER,
    }
    return render(request, "annotator/document_detail.html#live-model", context)


def _suggestion_source(request: HttpRequest, models: list, shown, read_only: str):
    """The model layer outlined over the page: the one asked for (`suggest`, "none": none), else
    the newest, when the page is editable and shows no model layer itself."""
    asked = request.GET.get("suggest")
    if read_only or shown.kind == shown.Kind.MODEL or asked == "none" or not models:
        return None
    named = {m.name: m for m in models}
    return named.get(asked) or models[-1]


def _edit_layer_name(shown, who: access.Access) -> str | None:
    """Where the page's edits go: the shown layer if it is gold or the viewer's own, gold
    for reviewers viewing the imported tags (created on the first edit), the annotator's own
    layer for annotators viewing the imported tags; None for anyone else's layer."""
    if shown.kind == shown.Kind.GOLD or shown.owner_id == who.user.pk:
        return shown.name
    if shown.kind != shown.Kind.IMPORTED:
        return None
    if who.is_reviewer:
        return GOLD
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
    file_format = registry.get(form.cleaned_data["format"] or document.format)
    chunks = corpus.export_document(
        document,
        layer_name=layer,
        scheme_name=form.cleaned_data["scheme"] or "keep",
        format_name=file_format.name,
    )
    if file_format.name == "conll":
        content_type = f"text/plain; charset={document.encoding}"
    else:
        content_type = file_format.media_type
    name = export_name(document.name, file_format.extensions[0])
    return download(chunks, name, content_type)


@login_required
@require_http_methods(["GET", "POST"])
def project_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The project as one file (CoNLL or another format): built in the request (GET) while it
    is small; through an export job (POST, the button shown instead of the link) once not."""
    project = access.project_access(request.user, pk, MANAGER).project
    data = request.POST if request.method == "POST" else request.GET
    try:
        checked = params.parse(export_job.Params, data, project=project, lenient=True)
    except params.BadParams as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    layer, scheme_name, format_name = checked["layer"], checked["scheme"], checked["format"]
    documents, tokens = exports.project_size(project)
    if request.method == "POST":
        exports.start_export_job(
            user=request.user,
            project=project,
            layer_name=layer,
            scheme_name=scheme_name,
            format_name=format_name,
        )
        messages.success(request, "The download is being prepared: its link appears below.")
        return redirect("annotator-project-jobs", pk=pk)
    if exports.too_large_for_a_request(documents, tokens):
        messages.info(
            request,
            f"{documents:,} documents and {tokens:,} tokens are too many to build in one "
            "request: press “Prepare the download” and fetch the file when its job is done.",
        )
        return redirect("annotator-project-detail", pk=pk)
    chunks = corpus.export_project(
        project, layer_name=layer, scheme_name=scheme_name, format_name=format_name
    )
    name, media_type = exports.file_name_and_type(project, format_name)
    return download(chunks, name, media_type)
