"""Import and export services against the database: what lands in which rows."""

from __future__ import annotations

from io import BytesIO

import pytest

from annotator.models import IMPORTED, Document, Project, SentenceTags, TagLayer, TokenIndex
from annotator.services.corpus import (
    BATCH,
    export_document,
    export_project,
    import_conll,
)
from annotator.services.labels import ADD, NewLabels
from tests.conftest import SMALL, import_files

pytestmark = pytest.mark.django_db

IOB1 = (
    b"Alan\tI-PER\nTuring\tI-PER\nmet\tO\nAda\tI-PER\nLovelace\tI-PER\n.\tO\n\n"
    b"Ada\tI-PER\nBabbage\tB-PER\nworked\tO\nin\tO\nLondon\tI-LOC\n"
)


def import_bytes(project_name: str, *files: tuple[str, bytes], **options):
    return import_conll(
        project_name=project_name,
        files=[(name, BytesIO(data)) for name, data in files],
        **options,
    )


def exported(document: Document, **options) -> bytes:
    return b"".join(export_document(document, **options))


def test_importing_creates_the_project_and_its_label_set():
    summary = import_files("Fresh", SMALL)

    project = Project.objects.get(name="Fresh")
    assert summary.project == project
    assert project.labels == ["Algorithm", "Device", "LOC", "PER"]
    assert project.scheme == "iob2"


def test_a_later_import_told_to_add_new_labels_adds_them_after_the_known_ones():
    import_files("Growing", SMALL)

    summary = import_bytes(
        "Growing",
        ("more.conll", b"Paris\tB-LOC\nis\tO\nin\tO\nFrance\tB-GPE\n"),
        new_labels=NewLabels(ADD),
    )

    assert summary.new_labels == ["GPE"]
    assert Project.objects.get(name="Growing").labels == [
        "Algorithm",
        "Device",
        "LOC",
        "PER",
        "GPE",
    ]


def test_documents_get_positions_in_import_order_across_imports():
    import_bytes("Ordered", ("zulu.conll", b"a\tO\n"), ("alpha.conll", b"b\tO\n"))
    import_bytes("Ordered", ("mike.conll", b"c\tO\n"))

    documents = Project.objects.get(name="Ordered").documents.order_by("position")
    assert [(d.position, d.name) for d in documents] == [
        (0, "zulu.conll"),
        (1, "alpha.conll"),
        (2, "mike.conll"),
    ]


def test_a_file_with_docstart_lines_becomes_one_document_per_docstart():
    data = (
        b"-DOCSTART-\tO\n\nAlan\tB-PER\n\n"
        b"-DOCSTART-\tO\n\nAda\tB-PER\nwrote\tO\n\nShe\tO\n\n"
        b"-DOCSTART-\tO\n\nLondon\tB-LOC\n"
    )

    summary = import_bytes("News", ("news.conll", data))

    documents = list(Project.objects.get(name="News").documents.order_by("position"))
    assert summary.documents == 3
    assert [d.name for d in documents] == ["news.conll", "news.conll #2", "news.conll #3"]
    assert [d.source_name for d in documents] == ["news.conll"] * 3
    assert [d.sentence_count for d in documents] == [1, 2, 1]
    assert b"".join(export_project(Project.objects.get(name="News"))) == data


def test_an_invalid_transition_is_kept_and_flagged_on_its_token():
    summary = import_files("Flagged", SMALL)

    document = Document.objects.get(project__name="Flagged")
    layer = TagLayer.objects.get(document=document, name=IMPORTED)
    flagged = SentenceTags.objects.get(layer=layer, sentence__position=2)
    assert flagged.tags[3] == "I-Device"
    assert flagged.invalid == [3]
    assert layer.invalid_count == 1
    assert SentenceTags.objects.filter(layer=layer, invalid__isnull=False).count() == 1
    assert [(w.file, w.line) for w in summary.warnings] == [("small.conll", 23)]


def test_a_file_without_invalid_transitions_has_no_flags():
    import_bytes("Clean", ("clean.conll", b"Alan\tB-PER\nTuring\tI-PER\n"))

    layer = TagLayer.objects.get(document__project__name="Clean")
    assert layer.invalid_count == 0
    assert SentenceTags.objects.get(layer=layer).invalid is None


def test_the_token_index_finds_the_sentences_of_a_token_whatever_its_case():
    import_files("Search", SMALL)
    project = Project.objects.get(name="Search")

    def sentences_of(word: str) -> list[int]:
        rows = TokenIndex.objects.filter(project=project, text=word.casefold())
        return sorted(position for row in rows for position in row.sentences)

    assert sentences_of("THE") == [1, 3]
    assert sentences_of("long") == [1, 3]
    assert sentences_of("Turing") == [0]
    assert sentences_of("new york") == [0]
    assert sentences_of(".") == [0, 1, 2, 3]
    assert sentences_of("absent") == []


def test_the_token_index_lists_each_sentence_once_in_order_across_case_forms():
    text = b"the\tO\nThe\tO\n\nx\tO\n\nTHE\tO\n\nthe\tO\nend\tO\n"
    import_bytes("Cases", ("cases.conll", text))
    rows = TokenIndex.objects.filter(project__name="Cases", text="the")

    assert [row.sentences for row in rows] == [[0, 2, 3]]


def test_an_import_of_several_write_batches_keeps_every_sentence_in_order():
    count = BATCH * 2 + 3
    text = b"".join(b"w%d\tO\nAda\tB-PER\n\n" % i for i in range(count))
    summary = import_bytes("Long", ("long.conll", text))
    document = Document.objects.get(project__name="Long")

    assert summary.sentences == count
    positions = document.sentences.order_by("id").values_list("position", flat=True)
    assert list(positions) == list(range(count))
    assert exported(document) == text


def test_an_iob1_file_is_detected_and_exported_unchanged_with_scheme_keep():
    import_bytes("Old", ("old.conll", IOB1))
    document = Document.objects.get(project__name="Old")

    assert document.scheme == "iob1"
    assert TagLayer.objects.get(document=document).invalid_count == 0
    assert exported(document) == IOB1
    assert exported(document, scheme_name="keep") == IOB1


def test_an_iob1_file_exported_as_iob2_opens_every_entity_with_b():
    import_bytes("Old", ("old.conll", IOB1))
    document = Document.objects.get(project__name="Old")

    assert exported(document, scheme_name="iob2") == (
        b"Alan\tB-PER\nTuring\tI-PER\nmet\tO\nAda\tB-PER\nLovelace\tI-PER\n.\tO\n\n"
        b"Ada\tB-PER\nBabbage\tB-PER\nworked\tO\nin\tO\nLondon\tB-LOC\n"
    )


def test_a_failed_import_leaves_the_existing_project_untouched():
    import_files("Stable", SMALL)

    with pytest.raises(ValueError, match=r"bad\.conll, line 2"):
        import_bytes("Stable", ("good.conll", b"x\tB-NEW\n"), ("bad.conll", b"y\tO\nz\n"))

    project = Project.objects.get(name="Stable")
    assert project.labels == ["Algorithm", "Device", "LOC", "PER"]
    assert [d.name for d in project.documents.all()] == ["small.conll"]
