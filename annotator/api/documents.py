"""Documents: list, upload (any registered format, as the project page does), detail, download
(CoNLL, JSONL, or any registered format)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from django.db import transaction
from django.db.models import Max
from django.http import Http404, StreamingHttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response

from annotator import access
from annotator.api import permissions
from annotator.api.exceptions import Conflict, invalid, parsed_query, validated_query
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import InvalidInputSerializer, responses
from annotator.api.serializers import (
    ConllErrorSerializer,
    DocumentDetailSerializer,
    DocumentQuerySerializer,
    DocumentSerializer,
    ExportQuerySerializer,
    FormatExportQuerySerializer,
    ImportedSerializer,
    JobSerializer,
    UploadSerializer,
)
from annotator.downloads import download, export_name
from annotator.forms import UploadForm
from annotator.jobs import export as export_job
from annotator.models import Document, Project, SentenceTags, TagLayer
from annotator.nlp import conll, scheme
from annotator.nlp.formats import registry
from annotator.services import corpus, exports, jobs, labels

TAGS = ["documents"]
JSONL = "application/x-ndjson"
OCTETS = "application/octet-stream"


class AnyAccept(DefaultContentNegotiation):
    """Downloads answer their own type whatever the client accepts; their errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def any_accept(view):
    view.content_negotiation_class = AnyAccept
    return view


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_documents_list",
    summary="The project's documents you may see",
    parameters=[DocumentQuerySerializer, *PAGE_PARAMETERS],
    responses=responses({200: page_of(DocumentSerializer)}, 400, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_documents_create",
    summary="Upload corpus files in any format (managers)",
    description="The project page's importer: all or nothing. Uploads above "
    "IMPORT_JOB_THRESHOLD bytes are imported by a job (202, poll it); a broken file is refused "
    "(422) with every problem's file and line, and nothing is written.",
    request={"multipart/form-data": UploadSerializer},
    responses=responses(
        {
            201: ImportedSerializer,
            202: OpenApiResponse(JobSerializer, description="Large upload: an import job."),
            400: OpenApiResponse(InvalidInputSerializer, description="No files, or bad fields."),
            422: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="UploadError",
                    serializers=[ConllErrorSerializer, InvalidInputSerializer],
                    resource_type_field_name=None,
                ),
                description="A file that cannot be imported (errors: file, line, message), "
                "or an encoding or tag column that does not fit.",
            ),
        },
        403,
        404,
    ),
)
@api_view(["GET", "POST"])
def document_list(request: Request, pk: int) -> Response:
    if request.method == "POST":
        return _upload(request, permissions.project(request, pk, access.MANAGER))
    who = permissions.project(request, pk)
    query = validated_query(DocumentQuerySerializer, request.query_params)
    documents = who.documents().order_by("position")
    if query.get("name"):
        documents = documents.filter(name=query["name"])
    if query.get("search"):
        documents = documents.filter(name__icontains=query["search"])
    return paginated(request, documents, DocumentSerializer)


def _upload(request: Request, who: access.Access) -> Response:
    fields = request.data if isinstance(request.data, Mapping) else {}
    form = UploadForm(  # the page's form: the same checks
        {
            "scheme": fields.get("scheme") or "auto",
            "encoding": fields.get("encoding") or "",
            "tag_column": fields.get("tag_column") or "",
            "format": fields.get("format") or "auto",
            "labels": fields.get("labels") or "",
        },
        request.FILES,
    )
    if not form.is_valid():
        raise invalid(form.errors)
    data = form.cleaned_data
    if not data["files"]:  # the form takes an empty list; the schema does not
        raise ValidationError({"files": ["No file was submitted."]})
    data["new_labels"] = _label_policy(fields)
    if corpus.import_needs_job(data["files"]):
        job = corpus.start_import_job(
            user=request.user,
            project=who.project,
            files=data["files"],
            scheme_name=data["scheme"],
            encoding=data["encoding"],
            tag_column=data["tag_column"],
            format_name=data["format"],
            labels=data["labels"],
            new_labels=data["new_labels"],
        )
        body = JobSerializer(job, context={"workers_alive": jobs.workers_alive()}).data
        headers = {"Location": reverse("annotator-api-job-detail", args=[job.pk])}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)
    try:
        summary, documents = _import(who.project, data)
    except conll.ConllError as error:
        problems = [{"file": p.file, "line": p.line, "message": p.message} for p in error.problems]
        body = {"detail": "Nothing was imported: " + str(error.problems[0]), "errors": problems}
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    except labels.UnknownLabels as error:
        body = {
            "detail": f"Nothing was imported: {error} (new_labels=add, or map=FILE=PROJECT).",
            "errors": [],
            "unknown_labels": error.labels,
        }
        # The request fits the schema; the project lacks labels: 422, like any input that fits
        # the schema but cannot be done.
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    except labels.LabelError as error:  # a map onto a label the project does not have
        body = {"detail": f"Nothing was imported: {error}.", "errors": {"map": [str(error)]}}
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    body = {
        "documents": DocumentSerializer(documents, many=True).data,
        "sentences": summary.sentences,
        "tokens": summary.tokens,
        "new_labels": summary.new_labels,
        "layers": summary.layers,
        "warning_count": summary.warning_count,
        "warnings": [
            {"file": w.file, "line": w.line, "message": w.message} for w in summary.warnings
        ],
    }
    return Response(body, status=status.HTTP_201_CREATED)


def _label_policy(fields) -> labels.NewLabels:
    """`new_labels` (add or refuse) and `map` (FILE_LABEL=PROJECT_LABEL, repeatable); a value
    of the wrong shape is a 400, like any field the schema describes."""
    action = fields.get("new_labels") or None
    if action not in (None, *labels.NEW_LABEL_ACTIONS):
        choices = ", ".join(labels.NEW_LABEL_ACTIONS)
        raise ValidationError({"new_labels": [f"Expected one of {choices}."]})
    pairs = fields.getlist("map") if hasattr(fields, "getlist") else fields.get("map") or []
    if isinstance(pairs, str) or not all(isinstance(pair, str) for pair in pairs):
        raise ValidationError({"map": ["Expected a list of FILE_LABEL=PROJECT_LABEL."]})
    try:
        return labels.NewLabels(action, labels.parse_mapping(pairs))
    except labels.LabelError as error:
        raise ValidationError({"map": [str(error)]}) from error


@transaction.atomic
def _import(project: Project, data: dict) -> tuple[corpus.ImportSummary, list[Document]]:
    """Import, and tell which documents it made (the project row is locked meanwhile)."""
    Project.objects.select_for_update().get(pk=project.pk)
    last = project.documents.aggregate(top=Max("position"))["top"]
    summary = corpus.import_corpus(
        project_name=project.name,
        files=[(f.name, f) for f in data["files"]],
        format_name=data["format"],
        scheme_name=data["scheme"],
        encoding=data["encoding"],
        tag_column=data["tag_column"],
        labels=data["labels"],
        new_labels=data["new_labels"],
    )
    created = project.documents.order_by("position")
    if last is not None:
        created = created.filter(position__gt=last)
    return summary, list(created)


@extend_schema(
    tags=TAGS,
    operation_id="documents_retrieve",
    summary="A document with the tag layers you may see",
    responses=responses({200: DocumentDetailSerializer}, 404),
)
@api_view(["GET"])
def document_detail(request: Request, pk: int) -> Response:
    document, who = permissions.document(request, pk)
    layers = list(permissions.visible_layers(document, who).values())
    context = {"layers": layers, "who": who}
    return Response(DocumentDetailSerializer(document, context=context).data)


DOWNLOAD = (
    "Built whole, then sent with its Content-Length (a transfer cut short is incomplete, not "
    "a shorter file); scheme converts the tags (keep: as imported, byte for byte)."
)


@extend_schema(
    tags=TAGS,
    operation_id="documents_conll_retrieve",
    summary="Download the document as CoNLL (reviewers and managers)",
    description=DOWNLOAD + " In the document's own encoding, named in the Content-Type.",
    parameters=[ExportQuerySerializer],
    responses=responses(
        {(200, "text/plain"): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")},
        400,
        403,
        404,
    ),
)
@api_view(["GET"])
@any_accept
def document_conll(request: Request, pk: int) -> StreamingHttpResponse:
    document, _ = permissions.document(request, pk, access.REVIEWER)
    layer, target = _export_choice(document, request)
    chunks = corpus.export_document(document, layer_name=layer.name, scheme_name=target)
    content_type = f"text/plain; charset={document.encoding}"
    return download(chunks, export_name(document.name), content_type)


@extend_schema(
    tags=TAGS,
    operation_id="documents_jsonl_retrieve",
    summary="Download the document as JSON Lines (reviewers and managers)",
    description=DOWNLOAD + ' One object a sentence: {"sentence": position, "tokens": [...], '
    '"tags": [...]}.',
    parameters=[ExportQuerySerializer],
    responses=responses(
        {(200, JSONL): OpenApiResponse(OpenApiTypes.BINARY, description="One line a sentence.")},
        400,
        403,
        404,
    ),
)
@api_view(["GET"])
@any_accept
def document_jsonl(request: Request, pk: int) -> StreamingHttpResponse:
    document, _ = permissions.document(request, pk, access.REVIEWER)
    layer, target = _export_choice(document, request)
    name = export_name(document.name).rsplit(".", 1)[0] + ".jsonl"
    return download(_jsonl_lines(document, layer, target), name, JSONL)


def _export_choice(document: Document, request: Request) -> tuple[TagLayer, str]:
    query = validated_query(ExportQuerySerializer, request.query_params)
    name = query.get("layer") or corpus.default_layer_name(document)
    layer = document.layers.filter(name=name).first()
    if layer is None:
        raise Http404("No such layer.")
    return layer, query["scheme"]


def _jsonl_lines(document: Document, layer: TagLayer, target: str) -> Iterator[bytes]:
    target = document.scheme if target == "keep" else target
    rows = (
        SentenceTags.objects.filter(layer=layer)
        .order_by("sentence__position")
        .values_list("sentence__position", "sentence__tokens", "tags")
    )
    for position, tokens, tags in rows.iterator(chunk_size=2000):
        if target != document.scheme:
            tags = scheme.convert(tags, document.scheme, target)
        line = {"sentence": position, "tokens": tokens, "tags": tags}
        yield (json.dumps(line, ensure_ascii=False) + "\n").encode()


TOO_LARGE = (
    "A project above EXPORT_JOB_DOCUMENTS documents or EXPORT_JOB_TOKENS tokens is too large "
    "to build in one request (409): POST to /api/v1/projects/{id}/export/ starts an export job; "
    "when it is done, /api/v1/jobs/{id}/download/ gives the file with its length and SHA-256."
)


def _refuse_if_too_large(project: Project) -> None:
    documents, tokens = exports.project_size(project)
    if exports.too_large_for_a_request(documents, tokens):
        raise Conflict(
            f"The project has {documents:,} documents and {tokens:,} tokens, too many to build "
            f"in one request: POST to /api/v1/projects/{project.pk}/export/ (same parameters) "
            "starts an export job; when it is done, GET /api/v1/jobs/<id>/download/ gives the "
            "file."
        )


@extend_schema(
    tags=TAGS,
    operation_id="projects_conll_retrieve",
    summary="Download every document of the project as one CoNLL file (managers)",
    description=DOWNLOAD + " Every document needs the layer named. " + TOO_LARGE,
    parameters=[ExportQuerySerializer],
    responses=responses(
        {(200, OCTETS): OpenApiResponse(OpenApiTypes.BINARY, description="The files.")},
        400,
        403,
        404,
        409,
    ),
)
@api_view(["GET"])
@any_accept
def project_conll(request: Request, pk: int) -> StreamingHttpResponse:
    project = permissions.project(request, pk, access.MANAGER).project
    query = validated_query(ExportQuerySerializer, request.query_params)
    layer = query.get("layer")
    if layer and project.documents.exclude(layers__name=layer).exists():
        raise invalid({"layer": [f"Not every document has a layer named {layer!r}."]})
    _refuse_if_too_large(project)
    chunks = corpus.export_project(project, layer_name=layer, scheme_name=query["scheme"])
    # Documents may differ in encoding: no one charset names the whole stream.
    return download(chunks, export_name(project.name), OCTETS)


# One documented answer per media type the formats send (CoNLL documents name their charset).
# A JSON file (Label Studio's) is a JSON value to a client that reads its media type, so it
# is documented as any JSON, not as a string of bytes.
FORMAT_FILES = {
    (200, media_type): OpenApiResponse(
        OpenApiTypes.ANY if media_type == "application/json" else OpenApiTypes.BINARY,
        description="The file.",
    )
    for media_type in sorted({f.media_type for f in registry.FORMATS.values()} | {OCTETS})
}


@extend_schema(
    tags=TAGS,
    operation_id="documents_export_retrieve",
    summary="Download the document in a registered format (reviewers and managers)",
    description=DOWNLOAD + " `format`: " + ", ".join(registry.FORMATS) + " (default: the "
    "format it was imported from).",
    parameters=[FormatExportQuerySerializer],
    responses=responses(FORMAT_FILES, 400, 403, 404),
)
@api_view(["GET"])
@any_accept
def document_export(request: Request, pk: int) -> StreamingHttpResponse:
    document, _ = permissions.document(request, pk, access.REVIEWER)
    layer, target = _export_choice(document, request)
    query = validated_query(FormatExportQuerySerializer, request.query_params)
    file_format = registry.get(query.get("format") or document.format)
    chunks = corpus.export_document(
        document, layer_name=layer.name, scheme_name=target, format_name=file_format.name
    )
    name = export_name(document.name, file_format.extensions[0])
    return download(chunks, name, file_format.media_type)


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_export_retrieve",
    summary="Download every document of the project as one file of a format (managers)",
    description=DOWNLOAD + " Every document needs the layer named. " + TOO_LARGE,
    parameters=[export_job.Params],
    responses=responses(FORMAT_FILES, 400, 403, 404, 409),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_export_create",
    summary="Start an export job for the whole project (managers); poll it, then download",
    description="The same parameters as the download. When the job is done, "
    "/api/v1/jobs/{id}/download/ gives the file; its size and SHA-256 are in the job's result.",
    parameters=[export_job.Params],
    request=None,
    responses=responses({202: JobSerializer}, 400, 403, 404),
)
@api_view(["GET", "POST"])
@any_accept
def project_export(request: Request, pk: int) -> StreamingHttpResponse | Response:
    project = permissions.project(request, pk, access.MANAGER).project
    query = parsed_query(export_job.Params, request.query_params, project)
    layer, file_format = query["layer"], registry.get(query["format"])
    if request.method == "POST":
        job = exports.start_export_job(
            user=request.user,
            project=project,
            layer_name=layer,
            scheme_name=query["scheme"],
            format_name=file_format.name,
        )
        body = JobSerializer(job, context={"workers_alive": jobs.workers_alive()}).data
        headers = {"Location": reverse("annotator-api-job-detail", args=[job.pk])}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)
    _refuse_if_too_large(project)
    chunks = corpus.export_project(
        project, layer_name=layer, scheme_name=query["scheme"], format_name=file_format.name
    )
    return download(chunks, export_name(project.name, file_format.extensions[0]), OCTETS)


urlpatterns = [
    path("projects/<int:pk>/documents/", document_list, name="annotator-api-document-list"),
    path("projects/<int:pk>/conll/", project_conll, name="annotator-api-project-conll"),
    path("documents/<int:pk>/", document_detail, name="annotator-api-document-detail"),
    path("documents/<int:pk>/conll/", document_conll, name="annotator-api-document-conll"),
    path("documents/<int:pk>/jsonl/", document_jsonl, name="annotator-api-document-jsonl"),
    path("documents/<int:pk>/export/", document_export, name="annotator-api-document-export"),
    path("projects/<int:pk>/export/", project_export, name="annotator-api-project-export"),
]
