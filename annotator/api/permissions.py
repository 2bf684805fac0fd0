"""The API's way into annotator.access: the pages' rules, called, never copied.

Non-members get 404 for everything of a project, members without the role 403, and a blind
project's annotators see only their own tasks' documents and there only their own layer and
the task's starting layer. Where a page composes those rules (which layer an edit goes to,
whose job is visible), the API calls the page's own helper.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.http import Http404
from rest_framework.request import Request

from annotator import access
from annotator.models import Document, Job, TagLayer
from annotator.views import jobs as job_pages
from annotator.views import pages, review


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
    layer = layers.get(name or pages._default_layer(layers, who))
    if layer is None:
        raise Http404("No such layer.")
    return layer


def edit_target(
    request: Request, document_pk: int, layer_name: str
) -> tuple[Document, access.Access, TagLayer]:
    """Where an edit goes, by the review page's rules (views.review._editing): gold (created
    on the first edit) for reviewers, their own layer for annotators."""
    form = SimpleNamespace(user=request.user, POST={"layer": layer_name})
    return review._editing(form, document_pk)


def may_edit(who: access.Access, layer: TagLayer, document: Document, sentence_id: int):
    """403 unless this user may edit the sentence in the layer (annotators: their open tasks);
    the sentence's position for annotators, None for reviewers."""
    return review._may_edit(who, layer, document, sentence_id)


def job(request: Request, pk: int) -> tuple[Job, access.Access]:
    """A job of a project the user belongs to: reviewers see all, others only their own."""
    return job_pages._job_for(request, pk)
