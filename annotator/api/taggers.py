"""Pre-annotation models: list (reviewers), register one of a kind added by hand (managers).

CRF models are trained by a job (jobs endpoint, kind train-crf).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from annotator import access, params
from annotator.api import permissions
from annotator.api.exceptions import Impossible, validated
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import responses
from annotator.api.serializers import (
    TaggerModelCreateSerializer,
    TaggerModelSerializer,
    per_kind,
)
from annotator.services import tagger_models
from annotator.taggers import registry as tagger_registry

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
    summary="Register a model of a kind added by hand: remote (HTTP), spaCy (managers)",
    description="remote: `url` answers the tagging contract (README, Remote models); spacy: "
    "`pipeline` (package name or path) with `mapping` from its entity labels to the project's. "
    "Each kind takes its own settings (annotator/taggers/). Registered as the next version of "
    "`name`.",
    request=per_kind(
        "ModelCreate",
        {kind.name: kind.settings for kind in tagger_registry.registrable()},
        base=TaggerModelCreateSerializer,
    ),
    responses=responses({201: TaggerModelSerializer}, 400, 403, 404),
)
@api_view(["GET", "POST"])
def model_list(request: Request, pk: int) -> Response:
    if request.method == "POST":
        return _register(request, permissions.project(request, pk, access.MANAGER))
    who = permissions.project(request, pk, access.REVIEWER)
    models = who.project.models.select_related("created_by").order_by("name", "-version")
    return paginated(request, models, TaggerModelSerializer)


def _register(request: Request, who: access.Access) -> Response:
    data = dict(validated(TaggerModelCreateSerializer, request.data))
    kind, name = data.pop("kind"), data.pop("name").strip()
    try:
        model = tagger_models.register(
            user=request.user, project=who.project, kind=kind, name=name, settings=data
        )
    except params.BadParams as error:  # e.g. a URL off the site's list of model servers
        raise Impossible(error.errors) from error
    return Response(TaggerModelSerializer(model).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("projects/<int:pk>/models/", model_list, name="annotator-api-model-list"),
]
