"""Adjudicate a document: see every annotator's reading where they disagree, settle into gold."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotator import access, selectors
from annotator.access import REVIEWER
from annotator.models import GOLD, Document
from annotator.nlp.palette import UNKNOWN as UNKNOWN_COLOUR
from annotator.refusals import with_reason
from annotator.services import adjudication, editing

TEMPLATE = "annotator/adjudicate.html"
PER_PAGE = 25


def _options(document: Document, data) -> dict:
    """The layers to adjudicate (default: the annotators') and whether unfinished work counts."""
    available = list(document.layers.exclude(name=GOLD).values_list("name", "kind"))
    names = [n for n in data.getlist("layers") if n in {name for name, _ in available}]
    return {
        "names": names or [name for name, kind in available if kind == "annotator"],
        "available": sorted(name for name, _ in available),
        "finished_only": data.get("all") != "1",
    }


@login_required
@require_GET
def document_adjudicate(request: HttpRequest, pk: int) -> HttpResponse:
    document, who = access.document_access(request.user, pk, REVIEWER)
    options = _options(document, request.GET)
    items = adjudication.load_items(
        document, names=options["names"], finished_only=options["finished_only"]
    )
    disputed = [item for item in items if item.vote.disputes]
    open_count = sum(len(item.open_disputes) for item in items)
    pages = max(1, -(-len(disputed) // PER_PAGE))
    try:
        page = min(max(1, int(request.GET.get("page", 1))), pages)
        wanted = int(request.GET.get("position", -1))  # queue links open the sentence's page
    except ValueError:
        page, wanted = 1, -1
    at = [i for i, item in enumerate(disputed) if item.position == wanted]
    if at:
        page = at[0] // PER_PAGE + 1
    shown = disputed[(page - 1) * PER_PAGE : page * PER_PAGE]
    titles = selectors.layer_titles(document.project, options["available"])
    context = {
        "document": document,
        "project": document.project,
        "access": who,
        **options,
        "query": _query(options),
        "annotated": len(items),
        "agreed": len(items) - len(disputed),
        "open_count": open_count,
        "decided_count": sum(len(item.decided) for item in items),
        "disputed": len(disputed),
        "page": page,
        "pages": pages,
        "items": [_view(document, item, titles) for item in shown],
        "titles": titles,
        "wanted": wanted,
        "rule": document.project.get_adjudication_rule_display(),
    }
    return render(request, TEMPLATE, context)


def _titles(document: Document, options: dict) -> dict[str, str]:
    return selectors.layer_titles(document.project, options["available"])


def _query(options: dict) -> str:
    pairs = [("layers", name) for name in options["names"]]
    if not options["finished_only"]:
        pairs.append(("all", "1"))
    return urlencode(pairs)


def _view(document: Document, item: adjudication.Item, titles: dict[str, str]) -> dict:
    """What the sentence partial shows: gold (or the proposal) and each dispute's readings,
    each reading's spans as coloured chips and its voters named for people."""
    colours = selectors.label_colours(document.project)
    tags = item.gold if item.gold is not None else adjudication.proposed_tags(item, document.scheme)
    disputes = []
    for dispute in item.vote.disputes:
        decision = item.decided.get((dispute.start, dispute.end))
        disputes.append(
            {
                "start": dispute.start,
                "end": dispute.end,
                "text": " ".join(item.tokens[dispute.start : dispute.end]),
                "decision": decision,
                "readings": [
                    {
                        "index": i,
                        "voters": [titles.get(v, v) for v in reading.voters],
                        "spans": [
                            {
                                "label": s.label,
                                "text": " ".join(item.tokens[s.start : s.end]),
                                "colour": colours.get(s.label, UNKNOWN_COLOUR),
                            }
                            for s in reading.spans
                        ],
                    }
                    for i, reading in enumerate(dispute.readings)
                ],
            }
        )
    page = item.position // settings.SENTENCES_PER_PAGE + 1
    return {
        "id": item.sentence_id,
        "position": item.position,
        "html": selectors.tokens_html(item.tokens, tags, None, document.scheme, colours),
        "gold_exists": item.gold is not None,
        "version": item.gold_version,
        "disputes": disputes,
        "edit_url": reverse("annotator-document-detail", args=[document.pk])
        + f"?layer=gold&page={page}#sentence-{item.sentence_id}",
    }


@login_required
@require_POST
def document_decide(request: HttpRequest, pk: int) -> HttpResponse:
    document, who = access.document_access(request.user, pk, REVIEWER)
    options = _options(document, request.POST)
    try:
        sentence_id = int(request.POST["sentence"])
        start, end = int(request.POST["start"]), int(request.POST["end"])
        version = int(request.POST["version"]) if request.POST.get("version") else None
    except (KeyError, ValueError) as error:
        raise Http404("Bad request.") from error
    message, status = "", 200
    try:
        item = adjudication.decide(
            user=request.user,
            who=who,
            document=document,
            sentence_id=sentence_id,
            start=start,
            end=end,
            choice=request.POST.get("choice", ""),
            version=version,
            names=options["names"],
            finished_only=options["finished_only"],
        )
    except editing.StaleEdit as stale:
        message, status = str(stale), 409
        item = _reload(document, sentence_id, options)
    except editing.EditRejected as error:
        message, status = str(error), 422
        item = _reload(document, sentence_id, options)
    except access.WriteRefused as refused:
        message, status = str(refused), 403
        item = _reload(document, sentence_id, options)
    if not request.htmx:
        if message:
            messages.error(request, message)
        url = reverse("annotator-document-adjudicate", args=[document.pk])
        return redirect(f"{url}?{_query(options)}")
    context = {
        "document": document,
        "query": _query(options),
        "item": _view(document, item, _titles(document, options)) if item else None,
        "message": message,
    }
    response = render(request, TEMPLATE + "#adjudicate-sentence", context, status=status)
    if message:
        return with_reason(response, message)
    # The page's counter ("37 open, 0 decided") reloads itself on this event.
    response["HX-Trigger"] = "decided"
    return response


def _reload(document: Document, sentence_id: int, options: dict):
    position = document.sentences.filter(pk=sentence_id).values_list("position", flat=True)
    items = adjudication.load_items(
        document,
        names=options["names"],
        finished_only=options["finished_only"],
        positions=position,
    )
    return items[0] if items else None


@login_required
@require_POST
def document_apply_agreed(request: HttpRequest, pk: int) -> HttpResponse:
    """Write the agreed spans (and the decisions so far) into gold for the whole document."""
    document, who = access.document_access(request.user, pk, REVIEWER)
    options = _options(document, request.POST)
    changed, ties = adjudication.apply_agreed(
        user=request.user,
        who=who,
        document=document,
        names=options["names"],
        finished_only=options["finished_only"],
    )
    messages.success(
        request,
        f"Gold took the agreed spans in {changed} sentence{'s' * (changed != 1)}; "
        f"{len(ties)} disagreement{'s' * (len(ties) != 1)} left for you.",
    )
    url = reverse("annotator-document-adjudicate", args=[document.pk])
    return redirect(f"{url}?{_query(options)}")
