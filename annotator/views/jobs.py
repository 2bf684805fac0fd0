"""The jobs page, a job's live progress (htmx polling), cancel, and starting pre-annotation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from annotator import access
from annotator.access import MANAGER, REVIEWER
from annotator.models import Job, TagLayer
from annotator.nlp.spacy_tagger import parse_mapping
from annotator.services import exports, jobs, models

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
        "models": who.project.models.all(),
        "documents": who.project.documents.order_by("position").only("pk", "name"),
    }
    return render(request, TEMPLATE, context)


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
    """Start a gazetteer or model pre-annotation, or the training of a CRF."""
    who = access.project_access(request.user, pk, MANAGER)
    kind = request.POST.get("kind", "gazetteer")
    documents = [int(x) for x in request.POST.getlist("documents") if x.isdigit()]
    if kind == "gazetteer":
        params = {
            "source": request.POST.get("source") or "gold",
            "case": request.POST.get("case") == "1",
            "documents": documents,
        }
    elif kind == "preannotate":
        model = who.project.models.filter(pk=request.POST.get("model") or 0).first()
        if model is None:
            raise Http404("No such model.")
        params = {"model": model.pk, "documents": documents}
    elif kind == "train-crf":
        name = (request.POST.get("name") or "crf").strip()[:100]
        params = {
            "layer": request.POST.get("layer") or "gold",
            "name": name,
            "documents": documents,
        }
    elif kind == "likely-errors":
        folds, iterations = request.POST.get("folds", ""), request.POST.get("iterations", "")
        params = {
            "layer": request.POST.get("layer") or "gold",
            "folds": min(10, max(2, int(folds))) if folds.isdigit() else 5,
            "iterations": min(200, max(5, int(iterations))) if iterations.isdigit() else 50,
        }
    else:
        raise Http404("Unknown job kind.")
    jobs.start_job(kind=kind, user=request.user, project=who.project, params=params)
    return redirect("annotator-project-jobs", pk=pk)


@login_required
@require_POST
def register_remote_model(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a remote model: an HTTP endpoint that follows the tagging contract (README)."""
    who = access.project_access(request.user, pk, MANAGER)
    name = (request.POST.get("name") or "").strip()[:100]
    url = (request.POST.get("url") or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        messages.error(request, f"{url!r} is not an http(s) address.")
        return redirect("annotator-project-jobs", pk=pk)
    try:
        model = models.register_remote(
            user=request.user, project=who.project, name=name or "remote", url=url
        )
    except ValueError as error:  # not on the administrator's list of model servers
        messages.error(request, str(error))
        return redirect("annotator-project-jobs", pk=pk)
    messages.success(request, f"Added {model}; pre-annotate with it below.")
    return redirect("annotator-project-jobs", pk=pk)


@login_required
@require_POST
def register_spacy_model(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an installed spaCy pipeline (package name or path) with a label mapping."""
    who = access.project_access(request.user, pk, MANAGER)
    pipeline = (request.POST.get("pipeline") or "").strip()
    mapping = parse_mapping(request.POST.get("mapping") or "")
    if not pipeline or not mapping:
        messages.error(request, "Name the pipeline and map at least one of its labels.")
        return redirect("annotator-project-jobs", pk=pk)
    try:
        model = models.register_spacy(
            user=request.user,
            project=who.project,
            name=(request.POST.get("name") or "spacy").strip()[:100],
            pipeline=pipeline,
            mapping=mapping,
        )
    except ValueError as error:
        messages.error(request, f"Not added: {error}.")
    else:
        messages.success(request, f"Added {model}.")
    return redirect("annotator-project-jobs", pk=pk)
