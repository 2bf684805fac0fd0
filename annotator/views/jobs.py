"""The jobs page, a job's live progress (htmx polling), cancel, starting a job and adding a
model; the kinds of both are in their registries (annotator/jobs/, annotator/taggers/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from annotator import access, params, selectors
from annotator.access import MANAGER, REVIEWER
from annotator.jobs import registry as job_registry
from annotator.jobs.base import JobKind
from annotator.models import Job, TagLayer
from annotator.services import exports, jobs, tagger_models
from annotator.taggers import registry as tagger_registry

TEMPLATE = "annotator/jobs.html"
JOB_FINISHED = "job-finished"


@login_required
@require_GET
def project_jobs(request: HttpRequest, pk: int) -> HttpResponse:
    who = access.project_access(request.user, pk, REVIEWER)
    listed = [jobs.live(job) for job in who.project.jobs.select_related("user")[:50]]
    context = {
        "project": who.project,
        "access": who,
        "jobs": listed,
        "workers_alive": jobs.workers_alive(),
        "layers": _layer_names(who.project),
        "models": _described(who.project.models.all()),
        "model_kinds": [_registration_form(kind) for kind in tagger_registry.registrable()],
        "document_choices": selectors.document_choices(who.project),
    }
    return render(request, TEMPLATE, context)


def _described(models) -> list:
    for model in models:
        model.description = tagger_registry.describe(model)
    return list(models)


def _registration_form(kind) -> dict:
    """A kind's settings as the inputs of its form on the page."""
    fields = []
    for name, field in kind.settings().fields.items():
        style = field.style
        fields.append(
            {
                "name": name,
                "label": field.label or name,
                "type": style.get("input_type", "text"),
                "placeholder": style.get("placeholder", ""),
                "size": style.get("size", 20),
                "required": field.required,
            }
        )
    return {"name": kind.name, "title": kind.title, "fields": fields}


def _layer_names(project) -> list[str]:
    names = TagLayer.objects.filter(document__project=project).values_list("name", flat=True)
    return sorted(set(names))


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    job, _ = access.job_access(user=request.user, job_pk=pk)
    context = {"job": jobs.live(job), "workers_alive": jobs.workers_alive()}
    response = render(request, TEMPLATE + "#job", context)
    if job.finished and request.htmx:
        # 286 tells htmx to stop polling; the body still replaces the bar with the outcome.
        response.status_code = HttpResponseStopPolling.status_code
        # Parts of the page that show a job's output reload themselves on this event
        # (hx-trigger="job-finished from:body"): the report, the likely errors, the documents.
        response["HX-Trigger"] = JOB_FINISHED
    return response


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job, _ = access.job_access(user=request.user, job_pk=pk)
    jobs.cancel_job(job)
    job.refresh_from_db()
    return render(request, TEMPLATE + "#job", {"job": jobs.live(job), "workers_alive": True})


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file of a finished export job (managers: the project export is theirs)."""
    job, who = access.job_access(user=request.user, job_pk=pk)
    if not who.is_manager or job.kind != exports.KIND:
        raise Http404("No such download.")
    if job.state != Job.State.DONE:
        return HttpResponse(
            "This export is not done yet.", status=409, content_type="text/plain; charset=utf-8"
        )
    path = exports.file_of(job)
    if path is None:
        return HttpResponse(
            "This export's file is no longer kept: prepare the download again.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    return exports.file_response(job, path)


@login_required
@require_POST
def start_preannotation(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a job of a kind the jobs page offers (gazetteer, preannotate, train-crf,
    likely-errors), its parameters read by the kind's form (annotator/jobs/)."""
    who = access.project_access(request.user, pk, MANAGER)
    kind = job_registry.KINDS.get(request.POST.get("kind", "gazetteer"))
    if kind is None or kind.params is None:
        raise Http404("Unknown job kind.")
    start_from_page(request, who.project, kind)
    return redirect("annotator-project-jobs", pk=pk)


def start_from_page(request: HttpRequest, project, kind: JobKind) -> Job | None:
    """A job of `kind` with the parameters its form reads from the page's POST; None, and the
    reason as a message, when they do not do."""
    try:
        checked = params.parse(kind.params, request.POST, project=project, lenient=True)
    except params.BadParams as error:
        messages.error(request, f"Not started: {error}.")
        return None
    return jobs.start_job(kind=kind.name, user=request.user, project=project, params=checked)


@login_required
@require_POST
def register_model(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Add a model of a kind managers register by hand (a remote model, a spaCy pipeline),
    its settings read by the kind's form (annotator/taggers/)."""
    who = access.project_access(request.user, pk, MANAGER)
    tagger_kind = tagger_registry.KINDS.get(kind)
    if tagger_kind is None or tagger_kind.settings is None:
        raise Http404("No such kind of model.")
    name = (request.POST.get("name") or kind).strip()[:100]
    try:
        model = tagger_models.register(
            user=request.user, project=who.project, kind=kind, name=name, settings=request.POST
        )
    except params.BadParams as error:
        messages.error(request, f"Not added: {error}.")
    else:
        messages.success(request, f"Added {model}; pre-annotate with it below.")
    return redirect("annotator-project-jobs", pk=pk)
