"""Jobs: list, start (a kind of annotator/jobs/registry.py with its parameters), poll, cancel.

Import jobs start from an upload above IMPORT_JOB_THRESHOLD (documents endpoint, 202).
"""

from __future__ import annotations

from django.http import Http404, HttpResponseBase
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from annotator import access
from annotator.api import permissions
from annotator.api.documents import FORMAT_FILES, any_accept
from annotator.api.exceptions import Conflict, Gone, parsed, validated, validated_query
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import ErrorSerializer, responses
from annotator.api.serializers import (
    JobQuerySerializer,
    JobSerializer,
    JobStartSerializer,
    per_kind,
)
from annotator.jobs import registry as job_registry
from annotator.models import Job
from annotator.services import exports, jobs

TAGS = ["jobs"]


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_jobs_list",
    summary="The project's jobs, newest first (reviewers)",
    parameters=[JobQuerySerializer, *PAGE_PARAMETERS],
    responses=responses({200: page_of(JobSerializer)}, 400, 403, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_jobs_create",
    summary="Start a job (managers); a worker runs it, poll it until it is finished",
    description="; ".join(f"{kind.name}: {kind.summary}" for kind in job_registry.startable())
    + ". Each kind takes its own parameters (annotator/jobs/).",
    request=per_kind("JobStart", {kind.name: kind.params for kind in job_registry.startable()}),
    responses=responses({202: JobSerializer}, 400, 403, 404),
)
@api_view(["GET", "POST"])
def job_list(request: Request, pk: int) -> Response:
    if request.method == "POST":
        return _start(request, permissions.project(request, pk, access.MANAGER))
    who = permissions.project(request, pk, access.REVIEWER)
    query = validated_query(JobQuerySerializer, request.query_params)
    rows = who.project.jobs.select_related("user")
    if query.get("state"):
        rows = rows.filter(state=query["state"])
    if query.get("kind"):
        rows = rows.filter(kind=query["kind"])
    return paginated(request, rows, _LiveJob, workers_alive=jobs.workers_alive())


class _LiveJob(JobSerializer):
    """A job with its latest progress (the worker writes it to the cache while it runs)."""

    def to_representation(self, job):
        return super().to_representation(jobs.live(job))


def _start(request: Request, who: access.Access) -> Response:
    kind = job_registry.get(validated(JobStartSerializer, request.data)["kind"])
    params = parsed(kind.params, request.data, who.project)
    job = jobs.start_job(kind=kind.name, user=request.user, project=who.project, params=params)
    body = JobSerializer(job, context={"workers_alive": jobs.workers_alive()}).data
    headers = {"Location": reverse("annotator-api-job-detail", args=[job.pk])}
    return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


@extend_schema(
    tags=TAGS,
    operation_id="jobs_retrieve",
    summary="A job's state, progress and outcome (reviewers, or whoever started it)",
    responses=responses({200: JobSerializer}, 404),
)
@api_view(["GET"])
def job_detail(request: Request, pk: int) -> Response:
    job, _ = permissions.job(request, pk)
    context = {"workers_alive": jobs.workers_alive()}
    return Response(JobSerializer(jobs.live(job), context=context).data)


@extend_schema(
    tags=TAGS,
    operation_id="jobs_cancel",
    summary="Cancel a job: a queued one at once, a running one at its next progress report",
    request=None,
    responses=responses({200: JobSerializer}, 404),
)
@api_view(["POST"])
def job_cancel(request: Request, pk: int) -> Response:
    job, _ = permissions.job(request, pk)
    jobs.cancel_job(job)
    job.refresh_from_db()
    context = {"workers_alive": jobs.workers_alive()}
    return Response(JobSerializer(jobs.live(job), context=context).data)


@extend_schema(
    tags=TAGS,
    operation_id="jobs_download_retrieve",
    summary="The file of a finished export job (managers)",
    description="With its Content-Length, and its SHA-256 in the Repr-Digest header (and in "
    "the job's result): check both. 409 while the job is not done; 410 once the file is no "
    "longer kept (EXPORT_KEEP_HOURS): start the export again.",
    responses=responses(
        {
            **FORMAT_FILES,  # the export's format decides the media type
            410: OpenApiResponse(ErrorSerializer, description="The file is no longer kept."),
        },
        404,
        409,
    ),
)
@api_view(["GET"])
@any_accept
def job_download(request: Request, pk: int) -> HttpResponseBase:
    job, who = permissions.job(request, pk)
    if not who.is_manager or job.kind != exports.KIND:
        raise Http404("No such download.")
    if job.state != Job.State.DONE:
        raise Conflict(f"This export is {job.state}, not done.")
    path = exports.file_of(job)
    if path is None:
        raise Gone("This export's file is no longer kept: start the export again.")
    return exports.file_response(job, path)


urlpatterns = [
    path("jobs/<int:pk>/download/", job_download, name="annotator-api-job-download"),
    path("projects/<int:pk>/jobs/", job_list, name="annotator-api-job-list"),
    path("jobs/<int:pk>/", job_detail, name="annotator-api-job-detail"),
    path("jobs/<int:pk>/cancel/", job_cancel, name="annotator-api-job-cancel"),
]
