"""The factories make the rows an import of the same sentences makes, so tests that use them
test what users get."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.models import SentenceTags, TagLayer, TokenIndex
from annotator.services import corpus
from tests.conftest import import_files
from tests.factories import make_document, make_project

pytestmark = pytest.mark.django_db

SENTENCES = [
    [("Ada", "B-PER"), ("Lovelace", "I-PER"), ("met", "O"), ("Babbage", "B-PER"), (".", "O")],
    [("London", "B-LOC"), ("is", "O"), ("large", "O"), ("and", "O"), ("london", "B-LOC")],
    [("Stray", "I-ORG"), ("tag", "O")],  # an invalid transition, flagged
]


def rows(document) -> list[tuple]:
    tags = SentenceTags.objects.filter(layer__document=document).order_by("sentence__position")
    return list(
        tags.values_list(
            "sentence__tokens", "sentence__before", "sentence__line", "tags", "invalid"
        )
    )


def index(document) -> dict[str, list[int]]:
    found = TokenIndex.objects.filter(document=document).values_list("text", "sentences")
    return dict(found)


def test_a_made_document_has_the_rows_and_export_of_an_imported_one(tmp_path: Path) -> None:
    path = tmp_path / "people.conll"
    text = "\n\n".join("\n".join(f"{t}\t{g}" for t, g in s) for s in SENTENCES) + "\n"
    path.write_text(text, encoding="utf-8")
    imported = import_files("Imported", path).project.documents.get()
    made = make_document(make_project("Made"), SENTENCES, name="people.conll")

    assert rows(made) == rows(imported)
    assert index(made) == index(imported)
    assert made.project.labels == imported.project.labels
    layer = TagLayer.objects.get(document=made)
    assert layer.invalid_count == TagLayer.objects.get(document=imported).invalid_count == 1
    exported = b"".join(corpus.export_document(made))
    assert exported == b"".join(corpus.export_document(imported)) == text.encode()
