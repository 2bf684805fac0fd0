"""The statements every edit runs are prepared once per connection on PostgreSQL
(annotator/prepared.py), and edits work the same whether they are or not."""

from __future__ import annotations

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotator.models import GOLD, SentenceTags
from annotator.services.editing import ensure_working_layer

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepares on PostgreSQL only"),
]


@pytest.fixture
def edit(document, member):
    """edit(label, version) -> the API's answer, labelling token 0 of the first sentence in
    gold, by the project's manager with a token."""
    ensure_working_layer(document)
    sid = document.sentences.get(position=0).pk
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member).key}")
    url = f"/api/v1/documents/{document.pk}/sentences/{sid}/edit/"

    def send(label: str, version: int):
        body = {"layer": GOLD, "version": version, "op": "label", "start": 0, "label": label}
        return client.post(url, body, format="json")

    return send


def prepared_statements() -> dict[str, int]:
    """The start of each statement prepared in this session, and how often it ran."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT left(statement, 30), generic_plans + custom_plans FROM pg_prepared_statements"
        )
        return dict(cursor.fetchall())


def test_the_statements_of_an_edit_are_prepared_once_and_used_again(edit):
    assert edit("LOC", 1).status_code == 200
    assert edit("PER", 2).status_code == 200
    runs = prepared_statements()
    starts = sorted(start.split()[0] for start in runs)
    assert starts == ["INSERT", "SELECT", "SELECT", "UPDATE"]  # token, row, tags, history
    assert set(runs.values()) == {2}


@pytest.mark.django_db(transaction=True)
def test_an_edit_after_a_refused_one_is_prepared_again_and_works(edit, document):
    assert edit("LOC", 1).status_code == 200
    stale = edit("PER", 1)  # the row was read and locked, then the transaction rolled back
    assert stale.status_code == 409
    assert edit("PER", 2).json()["tags"][0] == "B-PER"
    row = SentenceTags.objects.get(layer__name=GOLD, sentence__position=0)
    assert (row.version, row.tags[0]) == (3, "B-PER")


def test_nothing_is_prepared_when_turned_off(edit, settings):
    settings.DB_PREPARED_STATEMENTS = False
    assert edit("LOC", 1).status_code == 200
    assert edit("PER", 2).status_code == 200
    assert prepared_statements() == {}
