"""Rows made directly, for tests where the importer is not what is under test.

A test of importing uses tests.conftest.import_files; elsewhere a project with a document of
given sentences is a few INSERTs here, with no file written and read back (search's token
index included).
"""

from __future__ import annotations

from collections.abc import Sequence

from annotator.models import (
    IMPORTED,
    Document,
    Project,
    Sentence,
    SentenceTags,
    TagLayer,
    TokenIndex,
)
from annotator.nlp import palette, scheme
from annotator.search import index_key

# A sentence: its tokens and their tags, as pairs ("Paris", "B-LOC") or as two lists.
Pairs = Sequence[tuple[str, str]]


def make_project(name: str = "Project", *, labels: Sequence[str] = (), **fields) -> Project:
    labels = list(labels)
    colours = palette.assign_colours(labels, {})
    return Project.objects.create(name=name, labels=labels, label_colours=colours, **fields)


def make_document(
    project: Project, sentences: Sequence[Pairs], *, name: str = "document.conll"
) -> Document:
    """A document of `sentences` with its imported layer; the project gains the labels its
    tags use, as an upload's "add them" does."""
    position = project.documents.count()
    document = Document.objects.create(
        project=project,
        position=position,
        name=name,
        source_name=name,
        scheme=project.scheme,
        sentence_count=len(sentences),
        token_count=sum(len(s) for s in sentences),
    )
    # As an import of the CoNLL file stores them: a blank line before every sentence but the first.
    rows = Sentence.objects.bulk_create(
        Sentence(
            document=document,
            position=i,
            tokens=[t for t, _ in pairs],
            before="\n" if i else "",
            line=1 + sum(len(p) + 1 for p in sentences[:i]),
        )
        for i, pairs in enumerate(sentences)
    )
    make_layer(document, IMPORTED, [[g for _, g in pairs] for pairs in sentences], rows=rows)
    index: dict[str, list[int]] = {}
    for i, pairs in enumerate(sentences):
        for text in sorted({t.casefold() for t, _ in pairs}):
            index.setdefault(text, []).append(i)
    TokenIndex.objects.bulk_create(
        TokenIndex(project=project, document=document, text=index_key(text), sentences=where)
        for text, where in index.items()
    )
    used = {
        s.label for pairs in sentences for s in scheme.spans([g for _, g in pairs], project.scheme)
    }
    missing = sorted(used - set(project.labels))
    if missing:
        project.labels = [*project.labels, *missing]
        project.label_colours = palette.assign_colours(project.labels, project.label_colours)
        project.save(update_fields=["labels", "label_colours"])
    return document


def make_layer(
    document: Document,
    name: str,
    tags: Sequence[Sequence[str]],
    *,
    kind: str = TagLayer.Kind.IMPORTED,
    owner=None,
    rows: Sequence[Sentence] | None = None,
) -> TagLayer:
    """A layer of the document with one list of tags per sentence, in order."""
    rows = rows if rows is not None else list(document.sentences.order_by("position"))
    invalid = [scheme.invalid_positions(list(t), document.scheme) or None for t in tags]
    layer = TagLayer.objects.create(
        document=document,
        name=name,
        kind=kind,
        owner=owner,
        invalid_count=sum(len(i or ()) for i in invalid),
    )
    SentenceTags.objects.bulk_create(
        SentenceTags(layer=layer, sentence=row, tags=list(t), invalid=bad)
        for row, t, bad in zip(rows, tags, invalid, strict=True)
    )
    return layer
