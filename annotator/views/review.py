"""htmx endpoints of the review UI: each edit returns the re-rendered sentence.

Who may write which layer is the services' rule (access.py); a refused write raises
access.WriteRefused, which annotator/middleware.py answers for htmx with 403 and the reason in
the page's fixed status region, never a bare 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from annotator import access, selectors
from annotator.models import GOLD, IMPORTED, Document, SentenceTags, TagChange, TagLayer, Task
from annotator.refusals import with_reason
from annotator.services import editing, learning, suggestions, workflow

TEMPLATE = "annotator/document_detail.html"


def _editing(request: HttpRequest, pk: int) -> tuple[Document, access.Access, TagLayer]:
    """The layer this edit request targets, by `access.edit_target`'s rules."""
    return access.edit_target(
        user=request.user, document_pk=pk, layer_name=request.POST.get("layer", "")
    )


def says_refusals(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A write the layer rule refuses answers 403 with its reason in the status line."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except access.WriteRefused as refused:
            response = render(request, TEMPLATE + "#refusal", {"message": str(refused)}, status=403)
            return with_reason(response, str(refused))  # feedback.js shows it, on every page

    return wrapped


def _noted(
    request: HttpRequest, layer: TagLayer, row: SentenceTags, who: access.Access | None = None
) -> bool:
    """An annotator's edit in their own layer moves their task along (assigned: started);
    True if a task's banner changed with it."""
    if layer.owner_id != request.user.pk:
        return False
    return workflow.note_activity(
        user=request.user,
        layer=layer,
        position=row.sentence.position,
        known=who.tasks_in(layer.document_id) if who else None,
    )


def _int(request: HttpRequest, name: str, default: int | None = None) -> int | None:
    value = request.POST.get(name, request.GET.get(name))
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as error:
        raise Http404(f"{name} must be a number") from error


def _required_int(request: HttpRequest, name: str) -> int:
    """A number the client must send: the version it saw, so no edit overwrites blindly."""
    value = _int(request, name)
    if value is None:
        raise BadRequest(f"{name} is required")
    return value


def _own_tasks(request: HttpRequest, layer: TagLayer) -> list[Task]:
    """The user's tasks over this layer (an annotator's own), to re-render their banners: the
    first edit moves a task to "in progress", and Submit appears."""
    if layer.owner_id != request.user.pk:
        return []
    tasks = Task.objects.filter(layer=layer, annotator=request.user)
    return selectors.tasks_with_progress(list(tasks.exclude(state=Task.State.WITHDRAWN)))


def _sentence_response(
    request: HttpRequest,
    document: Document,
    layer: TagLayer,
    sentence_id: int,
    *,
    message: str = "",
    status: int = 200,
    row: SentenceTags | None = None,
    who: access.Access | None = None,
    banners: bool = False,
) -> HttpResponse:
    """The re-rendered sentence, the status line and the layer's counts; with `banners`, the
    user's task banners too (out of band: only when what they show changed)."""
    # The page's chosen suggestion layer, outlined again in the re-rendered sentence.
    name = request.POST.get("suggest", "")
    source = suggestions.suggestion_layer(document, who, name) if who and name else None
    if row is None:
        sentence = selectors.one_sentence(document, layer.pk, sentence_id, source=source)
    else:
        sentence = selectors.sentence_view(selectors.row_values(row), document, source=source)
    context = {
        "document": document,
        # The same renderer as the page's rows, swapped in by the sentence's id.
        "sentence_row": selectors.sentence_html(sentence, oob=True),
        "edit_layer": layer,
        "edit_layer_name": layer.name,
        "message": message,
        "oob": True,
        "my_tasks": _own_tasks(request, layer) if banners else [],
    }
    response = render(request, TEMPLATE + "#sentence-response", context, status=status)
    return with_reason(response, message) if status >= 400 else response


def _named_edit(request: HttpRequest, pk: int) -> HttpResponse | None:
    """The usual edit, in few statements (editing.edit_named_sentence); None to go the long
    way: a number missing or malformed, no such row yet, or an edit refused as stale or not
    fitting, which the long way finds again and answers with the page's context."""
    try:
        sentence_id, version = _int(request, "sentence"), _int(request, "version")
        start = _int(request, "start", 0)
        end = _int(request, "end", start + 1)
    except Http404:
        return None
    if sentence_id is None or version is None:
        return None
    try:
        edited = editing.edit_named_sentence(
            user=request.user,
            document_pk=pk,
            layer_name=request.POST.get("layer", ""),
            sentence_id=sentence_id,
            version=version,
            operation=request.POST.get("op", ""),
            start=start,
            end=end,
            label=request.POST.get("label") or None,
        )
    except (editing.StaleEdit, editing.EditRejected):
        return None  # nothing was written
    if edited is None:
        return None
    changed = _noted(request, edited.layer, edited.row, edited.who)
    return _sentence_response(
        request,
        edited.document,
        edited.layer,
        sentence_id,
        row=edited.row,
        who=edited.who,
        banners=changed,
    )


def _edited(
    request: HttpRequest,
    document: Document,
    layer: TagLayer,
    who: access.Access,
    sentence_id: int,
    change: Callable[[], SentenceTags],
) -> HttpResponse:
    """Make one change to a sentence and answer with it re-rendered; a stale version (409) or a
    refused change (422) re-renders the sentence with the reason beside it."""
    try:
        row = change()
    except editing.StaleEdit as stale:
        return _sentence_response(
            request, document, layer, sentence_id, message=str(stale), status=409, who=who
        )
    except editing.EditRejected as error:
        return _sentence_response(
            request, document, layer, sentence_id, message=str(error), status=422, who=who
        )
    changed = _noted(request, layer, row, who)
    return _sentence_response(
        request, document, layer, sentence_id, row=row, who=who, banners=changed
    )


@login_required
@require_POST
def sentence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    answered = _named_edit(request, pk)
    if answered is not None:
        return answered
    document, who, layer = _editing(request, pk)
    sentence_id = _int(request, "sentence")
    start = _int(request, "start", 0)
    return _edited(
        request,
        document,
        layer,
        who,
        sentence_id,
        partial(
            editing.edit_sentence,
            user=request.user,
            who=who,
            layer=layer,
            sentence_id=sentence_id,
            version=_required_int(request, "version"),
            operation=request.POST.get("op", ""),
            start=start,
            end=_int(request, "end", start + 1),
            label=request.POST.get("label") or None,
        ),
    )


def _undo_or_redo(request: HttpRequest, pk: int, action) -> HttpResponse:
    document, who, layer = _editing(request, pk)
    try:
        row = action(user=request.user, layer=layer, who=who)
    except editing.StaleEdit as stale:
        return _sentence_response(
            request, document, layer, stale.row.sentence_id, message=str(stale), status=409, who=who
        )
    if row is None:
        return HttpResponse(status=204)
    return _sentence_response(request, document, layer, row.sentence_id, row=row, who=who)


@login_required
@require_POST
def sentence_undo(request: HttpRequest, pk: int) -> HttpResponse:
    return _undo_or_redo(request, pk, editing.undo)


@login_required
@require_POST
def sentence_redo(request: HttpRequest, pk: int) -> HttpResponse:
    return _undo_or_redo(request, pk, editing.redo)


@login_required
@require_POST
def sentence_review(request: HttpRequest, pk: int) -> HttpResponse:
    document, who, layer = _editing(request, pk)
    sentence_id = _int(request, "sentence")
    try:
        row = editing.mark_reviewed(
            user=request.user,
            who=who,
            layer=layer,
            sentence_id=sentence_id,
            reviewed=request.POST.get("reviewed", "1") == "1",
        )
    except editing.EditRejected as error:
        return _sentence_response(
            request, document, layer, sentence_id, message=str(error), status=422, who=who
        )
    if row.reviewed and layer.kind == TagLayer.Kind.GOLD:
        # Every N newly reviewed gold sentences, the suggestion model learns from them.
        learning.note_reviewed(project=document.project, user=request.user)
    # The task banners count the reviewed sentences.
    return _sentence_response(request, document, layer, sentence_id, row=row, who=who, banners=True)


@login_required
@require_GET
def sentence_history(request: HttpRequest, pk: int, sentence_id: int) -> HttpResponse:
    document, who = access.document_access(request.user, pk)
    visible = document.layers.filter(who.layer_filter(document))
    changes = (
        TagChange.objects.filter(layer__in=visible, sentence_id=sentence_id)
        .select_related("user", "layer")
        .order_by("-pk")[:50]
    )
    return render(
        request,
        TEMPLATE + "#history",
        {"document": document, "changes": changes, "sentence_id": sentence_id},
    )


@login_required
@require_GET
def document_next(request: HttpRequest, pk: int) -> HttpResponse:
    """The next flagged or unreviewed sentence after a position (wrapping), as JSON; 204 if none."""
    document, who = access.document_access(request.user, pk)
    after = _int(request, "after", -1)
    what = request.GET.get("what", "flagged")
    visible = document.layers.filter(who.layer_filter(document))
    name = request.GET.get("layer") or IMPORTED
    # Before the first edit there is no gold yet: its flags are the imported ones.
    layer = visible.filter(name=name).first()
    if layer is None and name == GOLD and not document.layers.filter(name=name).exists():
        layer = visible.filter(name=IMPORTED).first()
    if layer is None:
        raise Http404("No such layer.")
    rows = SentenceTags.objects.select_related("sentence").filter(layer=layer)
    rows = rows.filter(invalid__isnull=False) if what == "flagged" else rows.filter(reviewed=False)
    found = (
        rows.filter(sentence__position__gt=after).order_by("sentence__position").first()
        or rows.order_by("sentence__position").first()
    )
    if found is None:
        return HttpResponse(status=204)
    position = found.sentence.position
    page = position // settings.SENTENCES_PER_PAGE + 1
    url = reverse("annotator-document-detail", args=[document.pk])
    query = urlencode({"layer": request.GET.get("layer", ""), "page": page})
    return JsonResponse(
        {
            "id": found.sentence_id,
            "position": position,
            "url": f"{url}?{query}#sentence-{found.sentence_id}",
        }
    )


@login_required
@vary_on_headers("HX-Request")
def document_repair(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what "repair all" would change in this document. POST: apply exactly that."""
    document, _ = access.document_access(request.user, pk, access.REVIEWER)
    if request.method == "POST":
        versions = {}
        for pair in request.POST.getlist("sentence"):
            sentence_id, _, version = pair.partition(":")
            if sentence_id.isdigit() and version.isdigit():
                versions[int(sentence_id)] = int(version)
        name = request.POST.get("layer", "")
        try:
            document, who, layer = _editing(request, pk)
            name = layer.name
            changed = editing.repair_document(
                user=request.user, who=who, layer=layer, versions=versions
            )
        except (editing.StaleEdit, editing.EditRejected, access.WriteRefused) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Repaired {changed} sentence{'s' * (changed != 1)}.")
        url = reverse("annotator-document-detail", args=[document.pk])
        return redirect(url + "?" + urlencode({"layer": name}))
    if request.method != "GET":
        return HttpResponse(status=405)
    layers = {layer.name: layer for layer in document.layers.all()}
    shown = layers.get(GOLD) or layers[IMPORTED]
    shown.document = document
    context = {"document": document, "plans": editing.plan_repair(shown), "layer": GOLD}
    return render(request, "annotator/repair.html", context)


def _suggesting(request: HttpRequest, pk: int):
    """The edit target and the chosen suggestion layer of a suggestion request."""
    document, who, layer = _editing(request, pk)
    source = suggestions.suggestion_layer(document, who, request.POST.get("suggest", ""))
    if source is None:
        raise Http404("No such suggestion layer.")
    return document, who, layer, source


def _threshold(request: HttpRequest) -> float:
    try:
        value = float(request.POST.get("threshold", ""))
    except ValueError as error:
        raise BadRequest("threshold must be a number between 0 and 1") from error
    if not 0 <= value <= 1:
        raise BadRequest("threshold must be a number between 0 and 1")
    return value


@login_required
@require_POST
@says_refusals
def suggestion_accept(request: HttpRequest, pk: int) -> HttpResponse:
    """`a`: take the suggestion at start..end; `A` (no span, a threshold): every open one of the
    sentence at that confidence or more."""
    document, who, layer, source = _suggesting(request, pk)
    sentence_id = _int(request, "sentence")
    every = request.POST.get("all") == "1"
    return _edited(
        request,
        document,
        layer,
        who,
        sentence_id,
        partial(
            suggestions.accept_suggestions,
            user=request.user,
            who=who,
            layer=layer,
            source=source,
            sentence_id=sentence_id,
            version=_required_int(request, "version"),
            span=None if every else (_int(request, "start", 0), _int(request, "end", 0)),
            threshold=_threshold(request) if every else None,
        ),
    )


@login_required
@require_POST
@says_refusals
def suggestion_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """`x`: turn down the suggestion at start..end; the reviewer's tags stay as they are."""
    document, who, layer, source = _suggesting(request, pk)
    sentence_id = _int(request, "sentence")
    try:
        suggestions.reject_suggestion(
            user=request.user,
            who=who,
            layer=layer,
            source=source,
            sentence_id=sentence_id,
            start=_int(request, "start", 0),
            end=_int(request, "end", 0),
        )
    except editing.EditRejected as error:
        return _sentence_response(
            request, document, layer, sentence_id, message=str(error), status=422, who=who
        )
    return _sentence_response(
        request, document, layer, sentence_id, message="Suggestion rejected.", who=who
    )
