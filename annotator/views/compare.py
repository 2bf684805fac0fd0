"""Compare two layers of a document and take either side, span by span.

Takes go into gold, or into the right-hand layer when it is the viewer's own and open to them
(access.py's layer rule): never into another annotator's layer, whatever the URL names.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotator import access, compare, selectors
from annotator.models import GOLD, Document, TagLayer
from annotator.refusals import with_reason
from annotator.services import editing

TEMPLATE = "annotator/compare.html"
PER_PAGE = 25


def _layers(document: Document, data) -> tuple[dict, TagLayer, TagLayer]:
    layers = {layer.name: layer for layer in document.layers.order_by("pk")}
    names = list(layers)
    left = layers.get(data.get("left") or names[0])
    right = layers.get(data.get("right") or names[-1])
    if left is None or right is None:
        raise Http404("No such layer.")
    return layers, left, right


@login_required
@require_GET
def document_compare(request: HttpRequest, pk: int) -> HttpResponse:
    document, who = access.document_access(request.user, pk, access.REVIEWER)
    layers, left, right = _layers(document, request.GET)
    positions = compare.differing_positions(left, right)
    pages = max(1, -(-len(positions) // PER_PAGE))
    try:
        page = min(max(1, int(request.GET.get("page", 1))), pages)
        wanted = int(request.GET.get("position", -1))  # drill-down links open its page
    except ValueError:
        page, wanted = 1, -1
    if wanted in positions:
        page = positions.index(wanted) // PER_PAGE + 1
    shown = positions[(page - 1) * PER_PAGE : page * PER_PAGE]
    titles = selectors.layer_titles(document.project, layers)
    target = _target_name(who, right)
    context = {
        "document": document,
        "layers": list(layers),
        "titles": titles,
        "left_title": titles[left.name],
        "right_title": titles[right.name],
        "target_title": titles.get(target, target),
        "wanted": wanted,
        "left": left,
        "right": right,
        "target": target,
        "differing": len(positions),
        "page": page,
        "pages": pages,
        "sentences": compare.compared_sentences(document, left, right, shown),
    }
    return render(request, TEMPLATE, context)


def _target_name(who: access.Access, right: TagLayer) -> str:
    """Takes go into the right-hand layer when the viewer may write it, else into gold."""
    return right.name if who.write_refusal(right) is None else GOLD


def _target(document: Document, who: access.Access, right: TagLayer) -> TagLayer:
    if _target_name(who, right) == right.name:
        target = right
    else:
        target = editing.ensure_working_layer(document, GOLD)
    target.document = document
    return target


@login_required
@require_POST
def document_take(request: HttpRequest, pk: int) -> HttpResponse:
    document, who = access.document_access(request.user, pk, access.REVIEWER)
    layers, left, right = _layers(document, request.POST)
    source = layers.get(request.POST.get("source", ""))
    if source is None:
        raise Http404("No such layer.")
    target = _target(document, who, right)
    try:
        sentence_id = int(request.POST["sentence"])
        start, end = int(request.POST["start"]), int(request.POST["end"])
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except (KeyError, ValueError) as error:
        raise Http404("Bad request.") from error
    message, status = "", 200
    try:
        editing.take_region(
            user=request.user,
            who=who,
            layer=target,
            source=source,
            sentence_id=sentence_id,
            version=version,
            start=start,
            end=end,
        )
    except editing.StaleEdit as stale:
        message, status = str(stale), 409
    except editing.EditRejected as error:
        message, status = str(error), 422
    except access.WriteRefused as refused:
        message, status = str(refused), 403
    shown_right = target if target == right else right
    items = compare.compared_sentences(
        document, left, shown_right, [_position(document, sentence_id)]
    )
    titles = selectors.layer_titles(document.project, {left.name, shown_right.name})
    context = {
        "document": document,
        "left": left,
        "right": shown_right,
        "left_title": titles[left.name],
        "right_title": titles[shown_right.name],
        "target": target.name,
        "target_version": _version(target, sentence_id),
        "sentence": items[0] if items else None,
        "message": message,
    }
    response = render(request, TEMPLATE + "#compare-sentence", context, status=status)
    return with_reason(response, message) if message else response


def _position(document: Document, sentence_id: int) -> int:
    sentence = document.sentences.filter(pk=sentence_id).values_list("position", flat=True).first()
    if sentence is None:
        raise Http404("No such sentence.")
    return sentence


def _version(layer: TagLayer, sentence_id: int) -> int | None:
    return layer.rows.filter(sentence_id=sentence_id).values_list("version", flat=True).first()


@login_required
@require_POST
def document_take_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept the left layer in whole into the target (gold, or the editable right layer)."""
    document, who = access.document_access(request.user, pk, access.REVIEWER)
    layers, left, right = _layers(document, request.POST)
    target = _target(document, who, right)
    try:
        changed = editing.take_layer(user=request.user, who=who, layer=target, source=left)
        messages.success(
            request,
            f"{changed} sentence{'s' * (changed != 1)} of {target.name} took {left.name}.",
        )
    except (editing.EditRejected, access.WriteRefused) as error:
        messages.error(request, str(error))
    query = urlencode({"left": left.name, "right": right.name})
    return redirect(reverse("annotator-document-compare", args=[document.pk]) + "?" + query)
