"""Pre-annotation models: list (reviewers), register a remote or spaCy model (managers).

CRF models are trained by a job (jobs endpoint, kind train-crf).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from annotator import access
from annotator.api import permissions
from annotator.api.exceptions import invalid, validated
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import responses
from annotator.api.serializers import TaggerModelCreateSerializer, TaggerModelSerializer
from annotator.services import models

TAGS = ["models"]


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_models_list",
    summary="The project's models, each version (reviewers)",
    parameters=PAGE_PARAMETERS,
    responses=responses({200: page_of(TaggerModelSerializer)}, 400, 403, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_models_create",
    summary="Register a remote (HTTP) or an installed spaCy model (managers)",
    description="remote: `url` answers the tagging contract (README, Remote models); spacy: "
    "`pipeline` (package name or path) with `mapping` from its entity labels to the project's. "
    "Registered as the next version of `name`.",
    request=TaggerModelCreateSerializer,
    responses=responses({201: TaggerModelSerializer}, 400, 403, 404),
)
@api_view(["GET", "POST"])
def model_list(request: Request, pk: int) -> Response:
    if request.method == "POST":
        return _register(request, permissions.project(request, pk, access.MANAGER))
    who = permissions.project(request, pk, access.REVIEWER)
    versions = who.project.models.select_related("created_by").order_by("name", "-version")
    return paginated(request, versions, TaggerModelSerializer)


def _register(request: Request, who: access.Access) -> Response:
    data = validated(TaggerModelCreateSerializer, request.data)
    name = data["name"].strip()
    if data["kind"] == "remote":
        try:
            model = models.register_remote(
                user=request.user, project=who.project, name=name, url=data["url"]
            )
        except ValueError as error:  # not on the administrator's list of model servers
            raise invalid({"url": [str(error)]}) from error
    else:
        try:
            model = models.register_spacy(
                user=request.user,
                project=who.project,
                name=name,
                pipeline=data["pipeline"],
                mapping=data["mapping"],
            )
        except ValueError as error:
            raise invalid({"mapping": [str(error)]}) from error
    return Response(TaggerModelSerializer(model).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("projects/<int:pk>/models/", model_list, name="annotator-api-model-list"),
]
