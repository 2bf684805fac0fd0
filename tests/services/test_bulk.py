"""Bulk rows for imports: the JSON they store and the rows they write."""

from __future__ import annotations

import json

import pytest
from django.db import DataError, IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from annotator import bulk
from annotator.models import Document, Project, Sentence


@given(st.lists(st.text()))
def test_a_list_of_strings_is_stored_as_the_json_encoder_writes_it(values: list[str]) -> None:
    assert bulk.dump_strings(values) == json.dumps(
        values, ensure_ascii=False, separators=(",", ":")
    )


@pytest.mark.parametrize(
    "values",
    [[], [""], ["", ""], ['"'], ['a","b'], ["back\\slash"], ["tab\there"], ["\x7f", "é", "😀"]],
)
def test_strings_that_need_escaping_still_read_back_as_themselves(values: list[str]) -> None:
    assert json.loads(bulk.dump_strings(values)) == values


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, bulk.ROWS_PER_INSERT, 2 * bulk.ROWS_PER_INSERT + 7])
def test_every_row_is_inserted_once_with_its_own_values(count: int) -> None:
    document = Document.objects.create(project=Project.objects.create(name="Rows"), position=0)
    ids = bulk.reserve_ids(Sentence, count)
    fields = ["id", "document", "position", "tokens", "before", "line"]
    rows = [(i, document.pk, n, bulk.dump_strings([f"w{n}"]), "", n + 1) for n, i in enumerate(ids)]
    bulk.insert_rows(Sentence, fields, rows)

    stored = Sentence.objects.filter(document=document).order_by("position")
    assert [(s.pk, s.position, s.tokens, s.line) for s in stored] == [
        (i, n, [f"w{n}"], n + 1) for n, i in enumerate(ids)
    ]


@pytest.mark.django_db
def test_the_database_checks_rows_again_after_an_unchecked_write_that_failed() -> None:
    document = Document.objects.create(project=Project.objects.create(name="Rows"), position=0)
    with pytest.raises(RuntimeError), bulk.unchecked():
        raise RuntimeError("the import failed")
    fields = ["document", "position", "tokens", "before", "line"]

    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        bulk.insert_rows(Sentence, fields, [(document.pk, 0, "[not json", "", 1)])
