"""Reads shared by pages, downloads and (later) the API; every one is scoped to the asking user."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache, lru_cache
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper

from django.conf import settings
from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery
from django.http import Http404
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe

from annotator.models import (
    GOLD,
    Document,
    Project,
    Sentence,
    SentenceTags,
    SuggestionFeedback,
    TagLayer,
    Task,
)
from annotator.nlp import palette as label_palette
from annotator.nlp import scheme
from annotator.nlp import suggestions as nlp_suggestions
from annotator.nlp.layer_titles import layer_title
from annotator.nlp.suggestions import Suggestion
from annotator.rows import Values, fetch_values

INVALID_HINT = "(r: start a span here, R: join to the span before)"


# Token texts and tags repeat (a page of 50 sentences has ~1,100 tokens but few distinct tags and
# far fewer distinct words than tokens): a bounded cache of their escaped forms halves the cost of
# escaping them, which was the largest single part of tokens_html. Same function, same output.
_escape = lru_cache(maxsize=1 << 16)(escape)


def tokens_html(
    tokens: list[str],
    tags: list[str],
    invalid: list[int] | None,
    doc_scheme: str,
    colours: dict[str, int],
    *,
    differs: frozenset[int] | set[int] = frozenset(),
    other_spans: set[tuple[int, int, str]] | None = None,
    suggested: list[Suggestion] | None = None,
) -> SafeString:
    """The sentence's tokens as HTML: spans wrapped and labelled, flagged tokens marked.

    Built here rather than with a template tag per token: a sentence is re-rendered on every
    edit, and this is several times faster. Every piece of user text goes through escape().
    Comparing two layers: `differs` marks the tokens whose tags differ, `other_spans` (the
    other layer's spans) marks each span the other layer does not have. `suggested`: a model
    layer's open suggestions, outlined token by token (they may cross the shown spans).
    """
    flagged = set(invalid or ())
    marks = _suggestion_marks(suggested or ())
    esc = _escape

    def token(i: int) -> str:
        if i in marks:
            return _suggested_token(i, tokens[i], tags[i], marks[i])
        text, tag = esc(tokens[i]), esc(tags[i])
        if i in differs:
            return (
                f'<span class="token differs" data-i="{i}">{text}'
                f'<span class="tag">{tag}</span></span>'
            )
        return (
            f'<span class="token invalid" data-i="{i}" title="invalid transition: {tag} '
            f'{INVALID_HINT}">{text}<span class="tag">{tag}</span></span>'
        )

    # A plain token inline, without a call per token (most tokens of most sentences).
    special = flagged | marks.keys() | differs
    pieces = [
        token(i)
        if i in special
        else (
            f'<span class="token" data-i="{i}">{esc(text)}'
            f'<span class="tag">{esc(tag)}</span></span>'
        )
        for i, (text, tag) in enumerate(zip(tokens, tags, strict=False))
    ]
    parts: list[str] = []
    position = 0
    for span in scheme.spans(tags, doc_scheme):
        parts.extend(pieces[position : span.start])
        label = esc(span.label)
        inner = "".join(pieces[span.start : span.end])
        colour = colours.get(span.label, label_palette.UNKNOWN)
        alone = other_spans is not None and (span.start, span.end, span.label) not in other_spans
        mark = ' differs" data-differs="only here' if alone else ""
        parts.append(
            f'<span class="span l{colour}{mark}" title="{label}">{inner}'
            f'<span class="label">{label}</span></span>'
        )
        position = span.end
    parts.extend(pieces[position:])
    return mark_safe(" ".join(parts))  # noqa: S308 - all user text above is escaped


def sentence_html(sentence: dict, *, oob: bool = False) -> SafeString:
    """One sentence row of the review page (a `sentence_view` dict) as HTML: the page renders
    its rows with it, and every edit re-renders its sentence with it (`oob`: swapped in by id,
    out of band). Built here rather than in the template: on a 50-sentence page the template's
    nodes per row were some 40% of the page's time. Ids, versions and positions are plain
    numbers (`:d` refuses anything else); the only user text is in the tokens' HTML, escaped by
    tokens_html."""
    sid, position, reviewed = sentence["id"], sentence["position"], sentence["reviewed"]
    classes = "sentence" + (" flagged" if sentence["invalid"] else "")
    classes += " reviewed" if reviewed else ""
    extra = ""
    if sentence["probability"] is not None:
        extra += (
            '<span class="certainty muted" title="the model\'s probability of its whole '
            f'suggestion for this sentence">p = {floatformat(sentence["probability"], 2)}</span>'
        )
    if count := sentence["suggestions"]:
        plural = "" if count == 1 else "s"
        extra += f'<span class="suggestion-count muted">{count} suggestion{plural}</span>'
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(  # noqa: S308 - numbers, fixed text and tokens_html's escaped HTML
        f'<article class="{classes}"\n'
        f'         id="sentence-{sid:d}" data-id="{sid:d}" data-version="{sentence["version"]:d}"\n'
        f'         data-position="{position:d}" tabindex="-1"'
        f"{swap}>\n"
        f'  <span class="number" title="{"reviewed" if reviewed else "not reviewed yet"}">'
        f"{position + 1}{' ✓' if reviewed else ''}</span>\n"
        f'  <p class="tokens">{sentence["html"]}</p>{extra}\n'
        "</article>\n"
    )


def sentences_html(sentences: Iterable[dict]) -> SafeString:
    """A page's sentence rows, each by sentence_html."""
    return mark_safe("".join(sentence_html(s) for s in sentences))  # noqa: S308 - see sentence_html


def _suggestion_marks(suggested) -> dict[int, Suggestion]:
    return {i: s for s in suggested for i in range(s.start, s.end)}


def _suggested_token(i: int, text: str, tag: str, s: Suggestion) -> str:
    """A token inside a suggestion: dashed outline (app.css), its label and confidence on hover,
    and the span's bounds for `a` / `x` (review.js)."""
    edge = (" s-first" if i == s.start else "") + (" s-last" if i == s.end - 1 else "")
    sure = "" if s.confidence is None else f", confidence {s.confidence:.2f}"
    label = escape(s.label)
    return (
        f'<span class="token suggested{edge}" data-i="{i}" data-s-start="{s.start}" '
        f'data-s-end="{s.end}" data-s-label="{label}" data-s-confidence="{s.confidence or ""}" '
        f'title="suggested: {label}{sure} (a: accept, x: reject)">{escape(text)}'
        f'<span class="tag">{escape(tag)}</span></span>'
    )


def open_suggestions(
    source: TagLayer, reviewer_rows: Iterable[tuple[int, list[str]]], doc_scheme: str
) -> dict[int, list[Suggestion]]:
    """Per sentence id, the suggestions of model layer `source` not yet in the reviewer's tags
    nor rejected; two queries for any number of sentences."""
    reviewer_tags = dict(reviewer_rows)
    if not reviewer_tags:
        return {}
    rows = SentenceTags.objects.filter(layer=source, sentence_id__in=reviewer_tags).values_list(
        "sentence_id", "tags", "confidence"
    )
    rejected: dict[int, list[tuple]] = {}
    feedback = SuggestionFeedback.objects.filter(
        layer=source, sentence_id__in=reviewer_tags, accepted=False
    ).values_list("sentence_id", "start", "end", "label")
    for sentence_id, start, end, label in feedback:
        rejected.setdefault(sentence_id, []).append((start, end, label))
    result = {}
    for sentence_id, tags, confidence in rows:
        suggested = nlp_suggestions.suggestions(tags, doc_scheme, confidence)
        result[sentence_id] = nlp_suggestions.open_suggestions(
            suggested, reviewer_tags[sentence_id], doc_scheme, rejected.get(sentence_id, ())
        )
    return result


def label_colours(project: Project) -> dict[str, int]:
    """Each label's palette index (a CSS class `l<index>`): a manager's choice, else the
    first colour free."""
    return label_palette.assign_colours(project.labels, project.label_colours)


ROW_FIELDS = (
    "sentence_id",
    "sentence__position",
    "sentence__tokens",
    "tags",
    "invalid",
    "version",
    "reviewed",
)


def row_values(row: SentenceTags) -> dict:
    """The ROW_FIELDS of a SentenceTags instance loaded with its sentence."""
    return {
        "sentence_id": row.sentence_id,
        "sentence__position": row.sentence.position,
        "sentence__tokens": row.sentence.tokens,
        "tags": row.tags,
        "invalid": row.invalid,
        "version": row.version,
        "reviewed": row.reviewed,
    }


def sentence_view(
    row: dict,
    document: Document,
    colours: dict[str, int] | None = None,
    *,
    source: TagLayer | None = None,
    suggested: list[Suggestion] | None = None,
) -> dict:
    """What the sentence partial renders, from a SentenceTags `.values(*ROW_FIELDS)` row; with
    a suggestion layer `source`, its open suggestions (given, or read here for one sentence)."""
    if colours is None:
        colours = label_colours(document.project)
    if source is not None and suggested is None:
        found = open_suggestions(source, [(row["sentence_id"], row["tags"])], document.scheme)
        suggested = found.get(row["sentence_id"], [])
    return {
        "id": row["sentence_id"],
        "position": row["sentence__position"],
        "version": row["version"],
        "invalid": row["invalid"],
        "reviewed": row["reviewed"],
        "html": tokens_html(
            row["sentence__tokens"],
            row["tags"],
            row["invalid"],
            document.scheme,
            colours,
            suggested=suggested,
        ),
        "suggestions": len(suggested or ()),
        "probability": None,  # the uncertainty queue's order, where it shows
    }


def sentence_page(
    document: Document,
    layer: TagLayer,
    page: int,
    per_page: int,
    *,
    source: TagLayer | None = None,
) -> list[dict]:
    """One page of a document's sentences with their tags in a layer (of that document, already
    read), in one query (three with a suggestion layer)."""
    first = (page - 1) * per_page
    sql, values = _page_statement(connection.vendor)
    rows = fetch_values(sql, [layer.pk, first, first + per_page], values)
    colours = label_colours(document.project)
    found = {}
    if source is not None:
        reviewer = [(row["sentence_id"], row["tags"]) for row in rows]
        found = open_suggestions(source, reviewer, document.scheme)
    return [
        sentence_view(
            row,
            document,
            colours,
            source=source,
            suggested=found.get(row["sentence_id"], []) if source else None,
        )
        for row in rows
    ]


@cache
def _page_statement(vendor: str) -> tuple[str, Values]:
    """`SentenceTags.objects.filter(layer_id=, sentence__position__gte=, __lt=)
    .order_by("sentence__position").values(*ROW_FIELDS)`, written once (rows.py): the page's
    main read, whose queryset cost more CPU to build than the statement to run."""
    values = Values([_row_field(name) for name in ROW_FIELDS])
    sql = (
        f"SELECT {', '.join(values.columns)} FROM {SentenceTags._meta.db_table} st "  # noqa: S608
        f"JOIN {Sentence._meta.db_table} s ON s.id = st.sentence_id "
        "WHERE st.layer_id = %s AND s.position >= %s AND s.position < %s ORDER BY s.position"
    )
    return sql, values


def _row_field(name: str) -> tuple[str, type, str, str]:
    """A ROW_FIELDS name as (name, model, field, alias): `sentence__x` is the sentence's x."""
    if name.startswith("sentence__"):
        return name, Sentence, name.removeprefix("sentence__"), "s"
    return name, SentenceTags, name, "st"


def uncertainty_queue(
    document: Document, layer_name: str, edit_layer_name: str, source: TagLayer, limit: int
) -> list[dict]:
    """The sentences not yet reviewed in the edit layer, least confident first: lowest sequence
    probability of the suggestion layer `source` (sentences it gave no score last), in three
    queries. Each view carries its `probability`."""
    reviewed = SentenceTags.objects.filter(
        layer__document=document, layer__name=edit_layer_name, reviewed=True
    ).values("sentence_id")
    probability = SentenceTags.objects.filter(layer=source, sentence_id=OuterRef("sentence_id"))
    rows = list(
        SentenceTags.objects.filter(layer__document=document, layer__name=layer_name)
        .exclude(sentence_id__in=reviewed)
        .annotate(model_probability=Subquery(probability.values("probability")[:1]))
        .order_by(F("model_probability").asc(nulls_last=True), "sentence__position")
        .values(*ROW_FIELDS, "model_probability")[:limit]
    )
    colours = label_colours(document.project)
    found = open_suggestions(source, [(r["sentence_id"], r["tags"]) for r in rows], document.scheme)
    views = []
    for row in rows:
        view = sentence_view(
            row, document, colours, source=source, suggested=found.get(row["sentence_id"], [])
        )
        view["probability"] = row["model_probability"]
        views.append(view)
    return views


def project_uncertainty_queue(project: Project, source_name: str, limit: int) -> list[dict]:
    """Across the project, the sentences not reviewed in gold, lowest sequence probability of
    their row in model layer `source_name` first (sentences it gave no score are left out), with
    their document; one query."""
    reviewed = SentenceTags.objects.filter(
        layer__document__project=project, layer__name=GOLD, reviewed=True
    ).values("sentence_id")
    rows = (
        SentenceTags.objects.filter(
            layer__document__project=project, layer__name=source_name, probability__isnull=False
        )
        .exclude(sentence_id__in=reviewed)
        .order_by("probability", "layer__document__position", "sentence__position")
        .values(
            "sentence_id",
            "probability",
            "sentence__position",
            "sentence__tokens",
            "layer__document_id",
            "layer__document__name",
        )[:limit]
    )
    return [
        {
            "sentence_id": row["sentence_id"],
            "probability": row["probability"],
            "position": row["sentence__position"],
            "text": " ".join(row["sentence__tokens"]),
            "document_id": row["layer__document_id"],
            "document_name": row["layer__document__name"],
        }
        for row in rows
    ]


def one_sentence(
    document: Document, layer_id: int, sentence_id: int, *, source: TagLayer | None = None
) -> dict:
    row = (
        SentenceTags.objects.values(*ROW_FIELDS)
        .filter(layer_id=layer_id, sentence_id=sentence_id)
        .first()
    )
    if row is None:
        raise Http404("No such sentence in this layer.")
    return sentence_view(row, document, label_colours(document.project), source=source)


# Shortcut keys for labels, in the project's label order; letters used by commands are skipped
# (a and x: accept and reject a suggestion).
LABEL_KEYS = "123456789bcdgilopqtuvwy"


def palette(project: Project) -> list[dict]:
    colours = label_colours(project)
    return [
        {
            "label": label,
            "colour": colours[label],
            "key": LABEL_KEYS[i] if i < len(LABEL_KEYS) else "",
        }
        for i, label in enumerate(project.labels)
    ]


def tasks_with_progress(tasks: list[Task]) -> list[Task]:
    """Attach how many of each task's sentences are marked reviewed (and how many are not),
    in one query."""
    if not tasks:
        return tasks
    where = Q()
    for task in tasks:
        where |= Q(
            layer_id=task.layer_id,
            sentence__position__gte=task.first_sentence,
            sentence__position__lt=task.end_sentence,
            reviewed=True,
        )
    counts = {}
    rows = SentenceTags.objects.filter(where).values_list("layer_id", "sentence__position")
    for layer_id, position in rows:
        counts.setdefault(layer_id, []).append(position)
    for task in tasks:
        positions = counts.get(task.layer_id, [])
        task.reviewed = sum(1 for p in positions if task.covers(p))
        task.unreviewed = task.sentence_count - task.reviewed
    return tasks


MODEL_KINDS = {"crf": "CRF", "remote": "Remote", "spacy": "spaCy"}


def layer_titles(project: Project, names) -> dict[str, str]:
    """Each layer name as people read it ("CRF crf1 v1, 27 Nov 13:05"), in one query."""
    kinds = {
        f"{name} v{version}": MODEL_KINDS.get(kind, "Model")
        for name, version, kind in project.models.values_list("name", "version", "kind")
    }
    return {name: layer_title(name, kinds) for name in names}


def document_choices(project: Project, limit: int | None = None) -> list[tuple[str, str]]:
    """(value, label) of a documents select, in import order: a file imported as several
    documents (a CoNLL file with -DOCSTART- lines) as one choice ("file:NAME", read by
    params.DocumentChoice) before its parts. Past `limit` documents (DOCUMENTS_PER_PAGE), such a
    file's parts are left out: its one choice stands for them, and the page stays small."""
    limit = settings.DOCUMENTS_PER_PAGE if limit is None else limit
    rows = list(project.documents.order_by("position").values_list("pk", "name", "source_name"))
    parts = Counter(source for _, _, source in rows)
    many = len(rows) > limit
    choices, offered = [], set()
    for pk, name, source in rows:
        if parts[source] > 1 and source not in offered:
            offered.add(source)
            choices.append((f"file:{source}", f"{source}: all {parts[source]} documents"))
        if parts[source] == 1 or not many:
            choices.append((str(pk), name))
    return choices
