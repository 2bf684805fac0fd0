"""Agreement reports: list, read, compute (a job); build gold by vote (a job).

The same rules as the Agreement and Adjudicate pages: reviewers and managers; annotators may read
reports when the project opens them (access.report_reader).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from annotator import access
from annotator.api import permissions
from annotator.api.exceptions import parsed
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import responses
from annotator.api.serializers import JobSerializer, named
from annotator.jobs import agreement as agreement_job
from annotator.jobs import majority_vote as majority_vote_job
from annotator.models import AgreementReport, Job
from annotator.services import jobs

TAGS = ["agreement"]


class ReportSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementReport
        fields = ["id", "project", "created_at", "created_by", "params", "annotators", "token"]

    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    params = serializers.DictField(help_text="layers, gold, documents ([] = all), finished_only.")
    annotators = serializers.SerializerMethodField()
    token = serializers.SerializerMethodField()

    def get_annotators(self, report) -> list[str]:
        return report.result.get("annotators", [])

    def get_token(self, report) -> dict:
        """Fleiss' kappa, Krippendorff's alpha and observed agreement, on all and tagged tokens."""
        return report.result.get("token", {})


class ReportSerializer(ReportSummarySerializer):
    class Meta(ReportSummarySerializer.Meta):
        fields = [*ReportSummarySerializer.Meta.fields, "result", "queue"]

    result = serializers.DictField(
        help_text="Every measure: token (group), pairs (kappa, spans, confusion), against_gold "
        "(see the README's Agreement section for the definitions)."
    )
    queue = serializers.DictField(help_text="Sentences and documents, most disagreement first.")


def _start(request: Request, project, kind) -> Job:
    checked = parsed(kind.params, request.data, project)
    return jobs.start_job(kind=kind.name, user=request.user, project=project, params=checked)


def _accepted(job: Job) -> Response:
    body = JobSerializer(job, context={"workers_alive": jobs.workers_alive()}).data
    headers = {"Location": reverse("annotator-api-job-detail", args=[job.pk])}
    return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_agreement_list",
    summary="The project's agreement reports, newest first (reviewers; annotators if opened)",
    parameters=PAGE_PARAMETERS,
    responses=responses({200: page_of(ReportSummarySerializer)}, 400, 403, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_agreement_create",
    summary="Compute agreement of the chosen layers (reviewers): a job that writes a report",
    request=named("ReportStart", agreement_job.Params),
    responses=responses({202: JobSerializer}, 400, 403, 404),
)
@api_view(["GET", "POST"])
def report_list(request: Request, pk: int) -> Response:
    if request.method == "POST":
        who = permissions.project(request, pk, access.REVIEWER)
        return _accepted(_start(request, who.project, agreement_job.KIND))
    who = access.report_reader(user=request.user, project_pk=pk)
    reports = who.project.reports.select_related("created_by")
    return paginated(request, reports, ReportSummarySerializer)


@extend_schema(
    tags=TAGS,
    operation_id="agreement_retrieve",
    summary="One agreement report with every measure",
    responses=responses({200: ReportSerializer}, 403, 404),
)
@api_view(["GET"])
def report_detail(request: Request, pk: int) -> Response:
    report = get_object_or_404(AgreementReport.objects.only("project_id"), pk=pk)
    access.report_reader(user=request.user, project_pk=report.project_id)
    report = AgreementReport.objects.select_related("created_by").get(pk=pk)
    return Response(ReportSerializer(report).data)


@extend_schema(
    tags=TAGS,
    operation_id="projects_majority_vote_create",
    summary="Build gold by vote (reviewers): a job; ties are listed in its result",
    request=named("VoteStart", majority_vote_job.Params),
    responses=responses({202: JobSerializer}, 400, 403, 404),
)
@api_view(["POST"])
def majority_vote(request: Request, pk: int) -> Response:
    who = permissions.project(request, pk, access.REVIEWER)
    return _accepted(_start(request, who.project, majority_vote_job.KIND))


urlpatterns = [
    path("projects/<int:pk>/agreement/", report_list, name="annotator-api-agreement-list"),
    path("agreement/<int:pk>/", report_detail, name="annotator-api-agreement-detail"),
    path("projects/<int:pk>/majority-vote/", majority_vote, name="annotator-api-majority-vote"),
]
