"""Sentences with their tags in a layer (read), span edits and review marks (write).

Edits go through the review page's own target rules and the same service (editing):
the same validation, versioning and history. A stale version is answered 409 with the
sentence as it is now; an edit that does not fit, 422.
"""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from annotator.api import edit_body, permissions
from annotator.api.exceptions import validated, validated_query
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import responses
from annotator.api.serializers import (
    EditSerializer,
    LayerQuerySerializer,
    ReviewSerializer,
    SentenceQuerySerializer,
    SentenceSerializer,
    StaleSerializer,
)
from annotator.models import Document, SentenceTags, TagLayer
from annotator.services import editing, learning, workflow

TAGS = ["sentences"]
FIELDS = (
    "sentence_id",
    "sentence__position",
    "sentence__line",
    "sentence__tokens",
    "tags",
    "invalid",
    "version",
    "reviewed",
)


def _rows(layer: TagLayer):
    return SentenceTags.objects.filter(layer=layer).order_by("sentence__position").values(*FIELDS)


class _AsSentence(SentenceSerializer):
    """A `_rows` value dict as a sentence of the layer named in the context."""

    def to_representation(self, row: dict) -> dict:
        return {
            "id": row["sentence_id"],
            "position": row["sentence__position"],
            "line": row["sentence__line"],
            "layer": self.context["layer"],
            "tokens": row["sentence__tokens"],
            "tags": row["tags"],
            "invalid": row["invalid"] or [],
            "version": row["version"],
            "reviewed": row["reviewed"],
        }


def _sentence(layer: TagLayer, sentence_id: int) -> dict:
    row = _rows(layer).filter(sentence_id=sentence_id).first()
    if row is None:
        raise Http404("No such sentence in this layer.")
    return _AsSentence(row, context={"layer": layer.name}).data


def _row_sentence(row: SentenceTags, layer: TagLayer) -> dict:
    """`_sentence` of a row just written, loaded with its sentence: nothing read again."""
    sentence = row.sentence
    values = {
        "sentence_id": row.sentence_id,
        "sentence__position": sentence.position,
        "sentence__line": sentence.line,
        "sentence__tokens": sentence.tokens,
        "tags": row.tags,
        "invalid": row.invalid,
        "version": row.version,
        "reviewed": row.reviewed,
    }
    return _AsSentence(values, context={"layer": layer.name}).data


def _in_document(document: Document, sentence_id: int) -> None:
    if not document.sentences.filter(pk=sentence_id).exists():
        raise Http404("No such sentence in this document.")


@extend_schema(
    tags=TAGS,
    operation_id="documents_sentences_list",
    summary="The document's sentences with their tags in one layer",
    parameters=[SentenceQuerySerializer, *PAGE_PARAMETERS],
    responses=responses({200: page_of(SentenceSerializer)}, 400, 404),
)
@api_view(["GET"])
def sentence_list(request: Request, pk: int) -> Response:
    document, who = permissions.document(request, pk)
    query = validated_query(SentenceQuerySerializer, request.query_params)
    layer = permissions.shown_layer(document, who, query.get("layer"))
    rows = _rows(layer)
    if query["flagged"] is not None:
        rows = rows.filter(invalid__isnull=not query["flagged"])
    if query["reviewed"] is not None:
        rows = rows.filter(reviewed=query["reviewed"])
    return paginated(request, rows, _AsSentence, layer=layer.name)


@extend_schema(
    tags=TAGS,
    operation_id="documents_sentences_retrieve",
    summary="One sentence with its tags in one layer",
    parameters=[LayerQuerySerializer],
    responses=responses({200: SentenceSerializer}, 400, 404),
)
@api_view(["GET"])
def sentence_detail(request: Request, pk: int, sentence_id: int) -> Response:
    document, who = permissions.document(request, pk)
    query = validated_query(LayerQuerySerializer, request.query_params)
    layer = permissions.shown_layer(document, who, query.get("layer"))
    return Response(_sentence(layer, sentence_id))


def _named_edit(request: Request, pk: int, sentence_id: int) -> Response | None:
    """The usual edit, in few statements (editing.edit_named_sentence); None to go the long
    way: no such row yet, or an edit refused as stale or not fitting, which the long way finds
    again and answers."""
    try:
        data = edit_body.plainly_valid(request.data) or validated(EditSerializer, request.data)
    except (APIException, SuspiciousOperation):
        permissions.document(request, pk)  # a non-member learns nothing from a 400
        raise
    start = data["start"]
    try:
        edited = editing.edit_named_sentence(
            user=request.user,
            document_pk=pk,
            layer_name=data["layer"],
            sentence_id=sentence_id,
            version=data["version"],
            operation=data["op"],
            start=start,
            end=data.get("end", start + 1),
            label=data.get("label"),
        )
    except (editing.StaleEdit, editing.EditRejected):
        return None  # nothing was written
    if edited is None:
        return None
    row, layer = edited.row, edited.layer
    if layer.owner_id == request.user.pk:  # an annotator's edit starts their task
        workflow.note_activity(
            user=request.user,
            layer=layer,
            position=row.sentence.position,
            known=edited.who.tasks_in(layer.document_id),
        )
    return Response(_row_sentence(row, layer))


@extend_schema(
    tags=TAGS,
    operation_id="documents_sentences_edit",
    summary="Edit the spans of a sentence (label, remove, split, merge, repair)",
    description="As in the review page: tokens [start, end) are labelled, unlabelled, split "
    "or merged as spans, and the B-/I- tags follow in the document's scheme. Who may write "
    "which layer: the imported tags and model suggestions never; gold, reviewers and managers "
    "(created from the imported tags on the first edit); an annotator's layer, that annotator, "
    "on sentences of tasks that are assigned, in progress or sent back (403 saying why "
    "otherwise, e.g. once submitted). Send the version you read: if the sentence "
    "changed since, nothing is written and the answer is 409 with the sentence as it is now.",
    request=EditSerializer,
    responses=responses(
        {
            200: SentenceSerializer,
            409: OpenApiResponse(StaleSerializer, description="Stale version: nothing written."),
        },
        400,
        403,
        404,
        422,
    ),
)
@api_view(["POST"])
def sentence_edit(request: Request, pk: int, sentence_id: int) -> Response:
    answered = _named_edit(request, pk, sentence_id)
    if answered is not None:
        return answered
    seen = permissions.document(request, pk)  # a non-member learns nothing from a 400
    data = validated(EditSerializer, request.data)
    document, who, layer = permissions.edit_target(request, seen, data["layer"])
    _in_document(document, sentence_id)
    start = data["start"]
    try:
        row = editing.edit_sentence(
            user=request.user,
            who=who,
            layer=layer,
            sentence_id=sentence_id,
            version=data["version"],
            operation=data["op"],
            start=start,
            end=data.get("end", start + 1),
            label=data.get("label"),
        )
    except editing.StaleEdit as stale:
        body = {"detail": str(stale), "sentence": _sentence(layer, sentence_id)}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if layer.owner_id == request.user.pk:  # an annotator's edit starts their task
        workflow.note_activity(user=request.user, layer=layer, position=row.sentence.position)
    return Response(_sentence(layer, sentence_id))


@extend_schema(
    tags=TAGS,
    operation_id="documents_sentences_review",
    summary="Mark a sentence reviewed (or not) in a layer",
    request=ReviewSerializer,
    responses=responses({200: SentenceSerializer}, 400, 403, 404, 422),
)
@api_view(["POST"])
def sentence_review(request: Request, pk: int, sentence_id: int) -> Response:
    seen = permissions.document(request, pk)
    data = validated(ReviewSerializer, request.data)
    document, who, layer = permissions.edit_target(request, seen, data["layer"])
    _in_document(document, sentence_id)
    row = editing.mark_reviewed(
        user=request.user, who=who, layer=layer, sentence_id=sentence_id, reviewed=data["reviewed"]
    )
    if row.reviewed and layer.kind == layer.Kind.GOLD:  # as the review page: retrain every N
        learning.note_reviewed(project=document.project, user=request.user)
    return Response(_sentence(layer, sentence_id))


urlpatterns = [
    path("documents/<int:pk>/sentences/", sentence_list, name="annotator-api-sentence-list"),
    path(
        "documents/<int:pk>/sentences/<int:sentence_id>/",
        sentence_detail,
        name="annotator-api-sentence-detail",
    ),
    path(
        "documents/<int:pk>/sentences/<int:sentence_id>/edit/",
        sentence_edit,
        name="annotator-api-sentence-edit",
    ),
    path(
        "documents/<int:pk>/sentences/<int:sentence_id>/review/",
        sentence_review,
        name="annotator-api-sentence-review",
    ),
]
