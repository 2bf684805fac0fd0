"""A model layer's suggestions on the review page: read them, accept them, reject them.

Accepting writes through the editing service (`replace_tags`, undoable), so the layer rule,
the version check and the history apply as to any edit. Every accept and reject is recorded as a
SuggestionFeedback row: the next training learns from what reviewers decided.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotator import access, selectors
from annotator.models import Document, SentenceTags, SuggestionFeedback, TagLayer
from annotator.nlp import suggestions as nlp_suggestions
from annotator.nlp.suggestions import Suggestion
from annotator.services.editing import EditRejected, _at, _check_version, _locked_row, replace_tags


def suggestion_layer(document: Document, who: access.Access, name: str) -> TagLayer | None:
    """The model layer `name` of the document, if the user may see it ("" or unknown: None)."""
    if not name:
        return None
    return (
        document.layers.filter(who.layer_filter(document), name=name, kind=TagLayer.Kind.MODEL)
        .order_by("pk")
        .first()
    )


def _open_in(
    layer: TagLayer, source: TagLayer, sentence_id: int, version: int | None = None
) -> list[Suggestion]:
    """The sentence's open suggestions, its row locked and at the version the client saw."""
    row = _locked_row(layer, sentence_id)
    _check_version(row, version)
    return selectors.open_suggestions(source, [(sentence_id, row.tags)], layer.document.scheme).get(
        sentence_id, []
    )


def _record(source, sentence_id, chosen: Iterable[Suggestion], accepted: bool, user) -> None:
    SuggestionFeedback.objects.bulk_create(
        SuggestionFeedback(
            layer=source,
            sentence_id=sentence_id,
            start=s.start,
            end=s.end,
            label=s.label,
            confidence=s.confidence,
            accepted=accepted,
            user=user,
        )
        for s in chosen
    )


def _find(open_now: list[Suggestion], start: int, end: int) -> Suggestion:
    for suggestion in open_now:
        if suggestion.start == start and suggestion.end == end:
            return suggestion
    raise EditRejected("no open suggestion there (it was taken, rejected or replaced)")


@transaction.atomic
def accept_suggestions(
    *,
    user: AbstractBaseUser,
    who: access.Access,
    layer: TagLayer,
    source: TagLayer,
    sentence_id: int,
    version: int | None,
    span: tuple[int, int] | None = None,
    threshold: float | None = None,
) -> SentenceTags:
    """Accept the open suggestion at `span` [start, end), or every open one of the sentence whose
    confidence is at least `threshold`; one undoable edit of `layer`, and one feedback row each."""
    who.require_write(layer)
    open_now = _open_in(layer, source, sentence_id, version)
    if span is not None:
        chosen = [_find(open_now, *span)]
    else:
        chosen = [s for s in open_now if s.confidence is not None and s.confidence >= threshold]
        if not chosen:
            raise EditRejected(f"no open suggestion in this sentence at confidence ≥ {threshold}")
    row = _locked_row(layer, sentence_id)
    new_tags = nlp_suggestions.accept(row.tags, layer.document.scheme, chosen)
    action = "accept suggestion" + ("s" if len(chosen) > 1 else "")
    action += ": " + ", ".join(f"{s.label} {s.start}-{s.end}" for s in chosen)
    row = replace_tags(
        user=user,
        who=who,
        layer=layer,
        sentence_id=sentence_id,
        version=version,
        tags=new_tags,
        action=action,
        undoable=True,
    )
    _record(source, sentence_id, chosen, True, who.user)
    return row


@transaction.atomic
def reject_suggestion(
    *,
    user: AbstractBaseUser,
    who: access.Access,
    layer: TagLayer,
    source: TagLayer,
    sentence_id: int,
    start: int,
    end: int,
) -> SentenceTags:
    """Turn down one open suggestion: recorded, and no longer outlined for anyone reviewing
    `layer`; the reviewer's tags stay as they are. Only someone who may write the layer may."""
    who.require_write(layer)
    suggestion = _find(_open_in(layer, source, sentence_id), start, end)
    row = _locked_row(layer, sentence_id)
    who.require_write(layer, _at(layer, row))
    _record(source, sentence_id, [suggestion], False, who.user)
    return row
