"""The API's way into annotator.access: the pages' rules, called, never copied.

Non-members get 404 for everything of a project, members without the role 403, and a blind
project's annotators see only their own tasks' documents and there only their own layer and
the task's starting layer. Which layer an edit goes to, whose job is visible and which layer a
document opens with are annotator.access's rules too, shared with the pages.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.request import Request

from annotator import access
from annotator.models import Document, Job, TagLayer


def project(request: Request, pk: int, *roles: str) -> access.Access:
    return access.project_access(request.user, pk, *roles)


def document(request: Request, pk: int, *roles: str) -> tuple[Document, access.Access]:
    return access.document_access(request.user, pk, *roles)


def visible_layers(document: Document, who: access.Access) -> dict[str, TagLayer]:
    """The layers of the document this user may see, by name, oldest first."""
    layers = document.layers.filter(who.layer_filter(document)).select_related("owner")
    return {layer.name: layer for layer in layers.order_by("pk")}


def shown_layer(document: Document, who: access.Access, name: str | None) -> TagLayer:
    """The layer to read: `name`, or the one the document page opens with; 404 if not visible."""
    layers = visible_layers(document, who)
    if not layers:
        raise Http404("This document has no tag layer you may see.")
    layer = layers.get(name or access.default_layer(layers=layers, who=who))
    if layer is None:
        raise Http404("No such layer.")
    return layer


def edit_target(
    request: Request, seen: tuple[Document, access.Access], layer_name: str
) -> tuple[Document, access.Access, TagLayer]:
    """Where an edit goes: gold (created on the first edit) for reviewers, their own layer
    for annotators. `seen`: the document and access the view already checked."""
    return access.edit_target(
        user=request.user, document_pk=seen[0].pk, layer_name=layer_name, seen=seen
    )


def job(request: Request, pk: int) -> tuple[Job, access.Access]:
    """A job of a project the user belongs to: reviewers see all, others only their own."""
    return access.job_access(user=request.user, job_pk=pk)
