"""Unusual input that used to end in a 500 (issue 12, items 5 and 6): each is now a clear 4xx
with the reason, or a clean import. Through the test client, which raises on a server error."""

from __future__ import annotations

import codecs
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotator import search
from annotator.models import Document, Membership, Task
from tests.api.conftest import token_client
from tests.conftest import row_counts

pytestmark = pytest.mark.django_db


def upload(client: Client, project, name: str, data: bytes):
    files = [SimpleUploadedFile(name, data, content_type="text/plain")]
    return client.post(
        reverse("annotator-project-upload", args=[project.pk]),
        {"files": files, "scheme": "auto", "encoding": "", "tag_column": ""},
    )


def text(response) -> str:
    return " ".join(response.content.decode().split())


# --- item 5: files ---------------------------------------------------------------------------


def test_a_token_of_5000_characters_imports_and_is_found_by_search(member_client, project):
    url = "https://example.org/" + "a" * 5000
    code = "x" * 199 + "ẞ"  # 200 characters that case-fold to 201
    data = f"Visit\tO\n{url}\tB-PER\nor\tO\n{code}\tO\n".encode()

    response = upload(member_client, project, "long.conll", data)

    assert response.status_code == 200, text(response)[:500]
    document = project.documents.get(name="long.conll")
    assert document.sentences.get().tokens[1] == url
    found = search.find(project, url.upper())
    assert [(o.document_id, o.match) for g in found.groups for o in g.occurrences] == [
        (document.pk, url)
    ]
    assert search.find(project, code).total == 1
    page = member_client.get(reverse("annotator-project-search", args=[project.pk]), {"q": url})
    assert page.status_code == 200
    assert "1 occurrence" in text(page)


def test_two_long_tokens_that_share_their_first_characters_are_told_apart(member_client, project):
    first, second = "p" * 300 + "one", "p" * 300 + "two"
    data = f"{first}\tO\n\n{second}\tO\n".encode()

    assert upload(member_client, project, "twins.conll", data).status_code == 200

    assert [o.match for g in search.find(project, first).groups for o in g.occurrences] == [first]
    assert [o.match for g in search.find(project, second).groups for o in g.occurrences] == [second]


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("Alan\tB-PER\nTu\0ring\tI-PER\n", 2),  # in a token
        ("Alan\tB-PER\n\n# made \0 by a tool\nAda\tB-PER\n", 3),  # in a comment
    ],
)
@pytest.mark.parametrize(
    ("encoding", "mark"),
    [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-32", b"")],
)
def test_a_wide_encoded_file_with_a_nul_character_is_refused_with_file_and_line(
    member_client, project, body, line, encoding, mark
):
    before = row_counts()

    response = upload(member_client, project, "nul.conll", mark + body.encode(encoding))

    assert response.status_code == 400
    assert f"nul.conll, line {line}: " in text(response)
    assert "NUL character" in text(response)
    assert row_counts() == before


def test_a_line_of_more_than_32767_columns_is_refused_with_file_and_line(member_client, project):
    before = row_counts()
    wide = "\t".join(["x"] * 40_000) + "\tO"
    data = f"Alan\tB-PER\n\n{wide}\n".encode()

    response = upload(member_client, project, "wide.conll", data)

    assert response.status_code == 400
    assert "wide.conll, line 3: 40001 columns" in text(response)
    assert row_counts() == before


def test_a_first_line_of_many_columns_is_refused_too(member_client, project):
    wide = "\t".join(["x"] * 33_000) + "\tO"

    response = upload(member_client, project, "wide.conll", f"{wide}\n".encode())

    assert response.status_code == 400
    assert "wide.conll, line 1: 33001 columns" in text(response)


# --- item 5: NUL in a query or a form ------------------------------------------------------


def test_a_nul_in_the_search_query_is_a_400_that_says_why(member_client, project):
    response = member_client.get(
        reverse("annotator-project-search", args=[project.pk]) + "?q=Tur%00ing"
    )

    assert response.status_code == 400
    assert "NUL character" in text(response)


def test_a_nul_in_the_relabel_form_is_a_400_and_changes_nothing(member_client, project):
    before = row_counts()

    response = member_client.post(
        reverse("annotator-project-relabel", args=[project.pk]),
        {"q": "Alan\0", "tagging": "B-PER", "label": "LOC", "confirm": "1"},
    )

    assert response.status_code == 400
    assert row_counts() == before


def test_a_nul_in_the_layer_of_next_sentence_is_a_400(member_client, document):
    response = member_client.get(
        reverse("annotator-document-next", args=[document.pk]) + "?layer=gold%00"
    )

    assert response.status_code == 400


def test_a_nul_in_an_api_query_is_a_json_400(member, project):
    response = token_client(member).get(
        reverse("annotator-api-document-list", args=[project.pk]) + "?name=a%00b"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]


def test_a_nul_in_an_htmx_request_says_why_in_the_page(member_client, project):
    response = member_client.get(
        reverse("annotator-project-search", args=[project.pk]) + "?q=%00",
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 400
    assert "NUL character" in text(response)


# --- item 5: JSON bodies -------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100_000, 1_000])
def test_deeply_nested_json_to_an_api_write_gets_a_json_400(member, project, depth):
    before = row_counts()

    response = token_client(member).patch(
        reverse("annotator-api-project-detail", args=[project.pk]),
        '{"labels": ' + nested(depth) + "}",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert row_counts() == before


def test_a_json_body_over_the_size_limit_gets_a_json_413(member, project, settings):
    body = json.dumps({"labels": ["x" * 1000] * 3000})  # 3 MB; the limit is 2.5 MB
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = token_client(member).patch(
        reverse("annotator-api-project-detail", args=[project.pk]),
        body,
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "2.5 MB" in response.json()["detail"]


# --- item 6: where `next` may send a user -----------------------------------------------------


@pytest.fixture
def submitted_task(project, member, django_user_model) -> Task:
    annotator = django_user_model.objects.create_user("ann", password="pw-ann-12345")
    Membership.objects.create(project=project, user=annotator, role=Membership.Role.ANNOTATOR)
    from annotator.services import assignment

    (task,) = assignment.assign(
        manager=member,
        project=project,
        documents=[Document.objects.get(project=project)],
        annotators=[annotator],
    )
    Task.objects.filter(pk=task.pk).update(state=Task.State.SUBMITTED)
    return task


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/x",
        "///evil.example/x",
        "/\\evil.example/x",
        "https:evil.example",
        "javascript:alert(1)",
        " https://evil.example/",
    ],
)
def test_a_task_step_never_redirects_to_another_site(member_client, submitted_task, target):
    response = member_client.post(
        reverse("annotator-task-action", args=[submitted_task.pk]),
        {"action": "approve", "next": target},
    )

    assert response.status_code == 302
    assert response.url == reverse("annotator-my-tasks", args=[submitted_task.project_id])


def test_a_task_step_returns_to_the_page_it_came_from(member_client, submitted_task):
    queue = reverse("annotator-queue", args=[submitted_task.project_id])

    response = member_client.post(
        reverse("annotator-task-action", args=[submitted_task.pk]),
        {"action": "approve", "next": queue},
    )

    assert response.status_code == 302
    assert response.url == queue
