"""The review endpoints over HTTP: edits, conflicts, undo/redo, review, next and history."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import GOLD, IMPORTED, Document, Membership, SentenceTags, TagChange, TagLayer
from tests.conftest import MARKUP, import_files

pytestmark = pytest.mark.django_db

FIRST = ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]


def url(document: Document, name: str) -> str:
    return reverse(f"annotator-{name}", args=[document.pk])


def history_url(document: Document, sid: int) -> str:
    return reverse("annotator-sentence-history", args=[document.pk, sid])


def sentence_id(document: Document, position: int) -> int:
    return document.sentences.get(position=position).pk


def gold_row(document: Document, sid: int) -> SentenceTags:
    return SentenceTags.objects.get(layer__document=document, layer__name=GOLD, sentence_id=sid)


def edit(client: Client, document: Document, sid: int, version: int = 1, **fields):
    data = {"layer": IMPORTED, "sentence": sid, "version": version, "op": "label", **fields}
    return client.post(url(document, "sentence-edit"), data)


def html(response) -> str:
    return response.content.decode()


def element(page: str, element_id: str) -> str:
    """The opening tag of the element with this id (the attributes a test needs)."""
    found = re.search(rf'<[a-z]+[^>]*\bid="{re.escape(element_id)}"[^>]*>', page)
    assert found, f"no element #{element_id} in:\n{page}"
    return found.group(0)


def data_version(page: str, sid: int) -> int:
    tag = element(page, f"sentence-{sid}")
    return int(re.search(r'data-version="(\d+)"', tag).group(1))


@pytest.fixture
def colleague(django_user_model, project):
    """A second member who may edit gold (a reviewer: annotators edit only their own layers)."""
    user = django_user_model.objects.create_user("carl", password="colleague-pass-123")
    Membership.objects.create(project=project, user=user, role=Membership.Role.REVIEWER)
    return user


@pytest.fixture
def colleague_client(colleague) -> Client:
    client = Client()
    client.force_login(colleague)
    return client


# --- edits -------------------------------------------------------------------------------------


def test_an_edit_answers_with_the_new_sentence_and_the_progress(member_client, document) -> None:
    sid = sentence_id(document, 0)
    response = edit(member_client, document, sid, start=4, end=6, label="LOC")
    assert response.status_code == 200
    page = html(response)
    article = element(page, f"sentence-{sid}")
    assert 'hx-swap-oob="true"' in article
    assert data_version(page, sid) == 2
    assert 'title="LOC"' in page
    progress = element(page, "progress")
    assert 'hx-swap-oob="true"' in progress
    assert "Reviewed 0 of 4 sentences" in " ".join(page.split())
    status = element(page, "status")
    assert 'hx-swap-oob="innerHTML"' in status  # clears the fixed status region
    assert gold_row(document, sid).tags == ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"]
    imported = SentenceTags.objects.get(layer__name=IMPORTED, sentence_id=sid)
    assert imported.tags == FIRST


def test_an_edit_with_csrf_checks_needs_the_token_from_the_page(member, document) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    sid = sentence_id(document, 0)
    data = {"layer": IMPORTED, "sentence": sid, "version": 1, "op": "label"}
    data |= {"start": 2, "end": 3, "label": "PER"}

    refused = client.post(url(document, "sentence-edit"), data)
    assert refused.status_code == 403

    page = client.get(url(document, "document-detail"))
    assert page.status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post(url(document, "sentence-edit"), data, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert gold_row(document, sid).tags[2] == "B-PER"


def test_a_refused_edit_answers_422_with_the_unchanged_sentence(member_client, document) -> None:
    sid = sentence_id(document, 0)
    response = edit(member_client, document, sid, start=2, end=3, label="ORG")
    assert response.status_code == 422
    page = html(response)
    assert data_version(page, sid) == 1
    assert "ORG" in element(page, "status") + page
    assert "is not one of the project" in page
    assert gold_row(document, sid).tags == FIRST
    assert not TagChange.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"start": "x"},
        {"sentence": "abc"},
        {"version": "1.5"},
    ],
)
def test_an_edit_with_a_number_that_is_not_a_number_is_not_a_server_error(
    member_client, document, fields
) -> None:
    sid = sentence_id(document, 0)
    response = edit(member_client, document, sid, **({"label": "PER"} | fields))
    assert response.status_code in (400, 404)


def test_the_second_of_two_edits_of_the_same_version_gets_409_and_no_update_is_lost(
    member_client, colleague_client, document
) -> None:
    sid = sentence_id(document, 0)
    detail = url(document, "document-detail")
    first_page = html(member_client.get(detail))
    second_page = html(colleague_client.get(detail))
    assert data_version(first_page, sid) == data_version(second_page, sid) == 1

    won = edit(member_client, document, sid, version=1, start=2, end=4, label="LOC")
    assert won.status_code == 200
    lost = edit(colleague_client, document, sid, version=1, start=0, end=6, label="PER")
    assert lost.status_code == 409
    page = html(lost)
    assert data_version(page, sid) == 2  # the current sentence, to review again
    assert "changed by mia" in page
    assert "changed by mia" in unquote(lost["X-Reason"])  # shown in the fixed status region

    mine = ["B-PER", "I-PER", "B-LOC", "I-LOC", "B-LOC", "O"]
    assert gold_row(document, sid).tags == mine
    assert gold_row(document, sid).version == 2
    assert list(TagChange.objects.values_list("user__username", "new_tags")) == [("mia", mine)]

    retry = edit(colleague_client, document, sid, version=2, start=0, end=6, label="PER")
    assert retry.status_code == 200
    assert gold_row(document, sid).tags == ["B-PER"] + ["I-PER"] * 5


def test_a_conflict_before_gold_exists_is_still_a_conflict(
    member_client, colleague_client, document
) -> None:
    # Both load the imported page (no gold yet); gold is created by the first edit with the
    # imported versions, so the second edit's version is checked against the copy.
    sid = sentence_id(document, 2)
    assert not TagLayer.objects.filter(name=GOLD).exists()
    first = edit(member_client, document, sid, version=1, op="repair-start", start=3, end=4)
    second = edit(colleague_client, document, sid, version=1, op="remove", start=3, end=4)
    assert (first.status_code, second.status_code) == (200, 409)
    assert gold_row(document, sid).tags == ["O", "O", "O", "B-Device", "O"]


# --- who may do what ---------------------------------------------------------------------------

ENDPOINTS = ["sentence-edit", "sentence-undo", "sentence-redo", "sentence-review"]


@pytest.fixture
def other_project_member(outsider):
    """The outsider is a member of another project: logged in, with documents, just not ours."""
    other = import_files("Other corpus", MARKUP).project
    Membership.objects.create(project=other, user=outsider, role=Membership.Role.MANAGER)
    return outsider


def test_outsiders_get_404_from_every_review_endpoint(
    outsider_client, other_project_member, document
) -> None:
    sid = sentence_id(document, 0)
    data = {"layer": IMPORTED, "sentence": sid, "version": 1, "op": "label"}
    data |= {"start": 2, "end": 3, "label": "PER"}
    for name in ENDPOINTS:
        assert outsider_client.post(url(document, name), data).status_code == 404, name
    for layer in (IMPORTED, GOLD):
        data["layer"] = layer
        assert outsider_client.post(url(document, "sentence-edit"), data).status_code == 404
    next_url = url(document, "document-next")
    assert outsider_client.get(next_url, {"what": "flagged"}).status_code == 404
    assert outsider_client.get(next_url, {"what": "unreviewed"}).status_code == 404
    assert outsider_client.get(history_url(document, sid)).status_code == 404
    assert not TagLayer.objects.filter(document=document, name=GOLD).exists()
    assert not TagChange.objects.exists()


def test_a_missing_document_is_404(member_client, document) -> None:
    missing = Document(pk=document.pk + 1000)
    assert edit(member_client, missing, 1, label="PER").status_code == 404
    assert member_client.get(url(missing, "document-next")).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, document) -> None:
    sid = sentence_id(document, 0)
    login = reverse("login")
    targets = [("post", url(document, name)) for name in ENDPOINTS]
    targets += [("get", url(document, "document-next")), ("get", history_url(document, sid))]
    for method, target in targets:
        response = getattr(client, method)(target, {"layer": IMPORTED, "sentence": sid})
        assert response.status_code == 302, target
        assert response["Location"].startswith(f"{login}?next="), target
    assert not TagLayer.objects.filter(name=GOLD).exists()


def test_the_write_endpoints_only_take_post(member_client, document) -> None:
    for name in ENDPOINTS:
        assert member_client.get(url(document, name)).status_code == 405, name
    assert member_client.post(url(document, "document-next")).status_code == 405
    sid = sentence_id(document, 0)
    assert member_client.post(history_url(document, sid)).status_code == 405
    assert not TagLayer.objects.filter(name=GOLD).exists()


def test_the_imported_layer_is_never_edited_through_the_views(member_client, document) -> None:
    sid = sentence_id(document, 0)
    edit(member_client, document, sid, start=2, end=3, label="PER")
    imported = SentenceTags.objects.get(layer__name=IMPORTED, sentence_id=sid)
    assert (imported.tags, imported.version) == (FIRST, 1)
    assert TagChange.objects.get().layer.name == GOLD


# --- escaping ----------------------------------------------------------------------------------


def test_token_text_stays_escaped_in_the_edit_response(member) -> None:
    project = import_files("Markup corpus", MARKUP).project
    Membership.objects.create(project=project, user=member, role=Membership.Role.MANAGER)
    document = project.documents.get()
    client = Client()
    client.force_login(member)
    sid = sentence_id(document, 0)
    response = edit(client, document, sid, start=0, end=2, label="PER")
    assert response.status_code == 200
    page = html(response)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert "{{ 7*7 }}" in page
    assert not re.search(r">\s*49\s*<", page)  # never evaluated (ids may contain 49)


# --- query counts ------------------------------------------------------------------------------


def big_document(tmp_path: Path, member, sentences: int = 300) -> Document:
    lines = []
    for i in range(sentences):
        lines += [
            f"Alan{i}\tB-PER",
            "Turing\tI-PER",
            "worked\tO",
            "in\tO",
            "York\tB-LOC",
            ".\tO",
            "",
        ]
    path = tmp_path / "big.conll"
    path.write_text("\n".join(lines), encoding="utf-8")
    project = import_files("Big corpus", path).project
    Membership.objects.create(project=project, user=member, role=Membership.Role.MANAGER)
    document = project.documents.get()
    assert document.sentence_count == sentences
    return document


def queries_of(client: Client, document: Document, sid: int, version: int, **fields) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = edit(client, document, sid, version=version, **fields)
    assert response.status_code == 200, html(response)
    return len(captured)


def test_an_edit_takes_few_queries_whatever_the_documents_size(
    member_client, member, document, tmp_path, django_assert_max_num_queries
) -> None:
    big = big_document(tmp_path, member)
    small_sid, big_sid = sentence_id(document, 0), sentence_id(big, 150)

    # The first edit also creates the gold layer (one INSERT ... SELECT, not one per sentence).
    first = [
        queries_of(member_client, doc, sid, 1, start=2, end=3, label="PER")
        for doc, sid in ((document, small_sid), (big, big_sid))
    ]
    assert first[0] == first[1]
    later = [
        queries_of(member_client, doc, sid, 2, start=3, end=4, label="LOC")
        for doc, sid in ((document, small_sid), (big, big_sid))
    ]
    assert later[0] == later[1]

    with django_assert_max_num_queries(14):
        edit(member_client, big, big_sid, version=3, start=0, end=1, label="LOC")
    with django_assert_max_num_queries(14):
        member_client.post(url(big, "sentence-undo"), {"layer": IMPORTED})
    assert gold_row(big, big_sid).version == 5  # two edits, one more edit, one undo
    assert SentenceTags.objects.filter(layer__document=big, layer__name=GOLD).count() == 300


def test_the_first_edit_takes_few_queries_too(
    member_client, member, tmp_path, django_assert_max_num_queries
) -> None:
    # The copy of the imported layer adds a fixed handful of queries (get_or_create with its
    # savepoint, the imported layer, INSERT ... SELECT, the flagged count), not one per sentence;
    # and the short way's lookup, which finds no gold row yet, one.
    big = big_document(tmp_path, member)
    sid = sentence_id(big, 299)
    with django_assert_max_num_queries(19):
        response = edit(member_client, big, sid, start=2, end=3, label="PER")
    assert response.status_code == 200
    assert SentenceTags.objects.filter(layer__document=big, layer__name=GOLD).count() == 300


# --- undo, redo and review ---------------------------------------------------------------------


def test_undo_with_nothing_to_undo_answers_204(member_client, document) -> None:
    for name in ("sentence-undo", "sentence-redo"):
        response = member_client.post(url(document, name), {"layer": IMPORTED})
        assert response.status_code == 204, name
        assert response.content == b""


def test_undo_and_redo_answer_with_the_sentence(member_client, document) -> None:
    sid = sentence_id(document, 0)
    edit(member_client, document, sid, start=2, end=3, label="PER")

    undone = member_client.post(url(document, "sentence-undo"), {"layer": IMPORTED})
    assert undone.status_code == 200
    assert data_version(html(undone), sid) == 3
    assert gold_row(document, sid).tags == FIRST

    redone = member_client.post(url(document, "sentence-redo"), {"layer": GOLD})
    assert redone.status_code == 200
    assert data_version(html(redone), sid) == 4
    assert gold_row(document, sid).tags[2] == "B-PER"


def test_undo_after_a_colleagues_change_answers_409(
    member_client, colleague_client, document
) -> None:
    sid = sentence_id(document, 0)
    edit(member_client, document, sid, version=1, start=2, end=3, label="PER")
    edit(colleague_client, document, sid, version=2, start=3, end=4, label="LOC")
    response = member_client.post(url(document, "sentence-undo"), {"layer": IMPORTED})
    assert response.status_code == 409
    assert data_version(html(response), sid) == 3
    assert gold_row(document, sid).tags[3] == "B-LOC"


def test_marking_reviewed_updates_the_sentence_and_the_progress(member_client, document) -> None:
    sid = sentence_id(document, 1)
    response = member_client.post(
        url(document, "sentence-review"), {"layer": IMPORTED, "sentence": sid}
    )
    assert response.status_code == 200
    page = html(response)
    assert "reviewed" in element(page, f"sentence-{sid}")
    assert "Reviewed 1 of 4 sentences" in " ".join(page.split())
    assert gold_row(document, sid).reviewed

    response = member_client.post(
        url(document, "sentence-review"), {"layer": GOLD, "sentence": sid, "reviewed": "0"}
    )
    assert response.status_code == 200
    assert "Reviewed 0 of 4 sentences" in " ".join(html(response).split())
    assert TagLayer.objects.get(name=GOLD).reviewed_count == 0


# --- next and history --------------------------------------------------------------------------


def test_next_flagged_finds_the_flagged_sentence(member_client, document) -> None:
    flagged = sentence_id(document, 2)
    next_url = url(document, "document-next")
    found = member_client.get(next_url, {"what": "flagged"}).json()
    assert found["id"] == flagged
    assert found["position"] == 2
    assert found["url"].endswith(f"#sentence-{flagged}")
    wrapped = member_client.get(next_url, {"what": "flagged", "after": 2}).json()
    assert wrapped["id"] == flagged  # from the end, the search wraps around

    edit(member_client, document, flagged, op="repair-start", start=3, end=4)
    assert member_client.get(next_url, {"what": "flagged", "layer": GOLD}).status_code == 204
    imported = member_client.get(next_url, {"what": "flagged", "layer": IMPORTED})
    assert imported.json()["id"] == flagged


def test_next_unreviewed_skips_reviewed_sentences(member_client, document) -> None:
    for position in (0, 1):
        member_client.post(
            url(document, "sentence-review"),
            {"layer": GOLD, "sentence": sentence_id(document, position)},
        )
    next_url = url(document, "document-next")
    found = member_client.get(next_url, {"what": "unreviewed", "layer": GOLD, "after": -1})
    assert found.json()["id"] == sentence_id(document, 2)


def test_history_lists_the_edit_with_the_users_name(member_client, document) -> None:
    sid = sentence_id(document, 0)
    empty = member_client.get(history_url(document, sid))
    assert empty.status_code == 200
    assert "No changes yet." in html(empty)

    edit(member_client, document, sid, start=2, end=3, label="PER")
    response = member_client.get(history_url(document, sid))
    assert response.status_code == 200
    text = " ".join(html(response).split())
    assert "mia · label in gold" in text
    assert "No changes yet." not in text


# --- sentences that are not in the document ----------------------------------------------------


@pytest.fixture
def lenient_client(member) -> Client:
    """A member's client that answers server errors with 500 instead of raising them."""
    client = Client(raise_request_exception=False)
    client.force_login(member)
    return client


@pytest.mark.parametrize("which", ["missing", "another document's", "unknown"])
@pytest.mark.parametrize("name", ["sentence-edit", "sentence-review"])
def test_a_sentence_that_is_not_in_the_document_is_refused_not_a_server_error(
    lenient_client, document, which, name
) -> None:
    other = import_files("Other corpus", MARKUP).project.documents.get().sentences.get().pk
    sentence = {"missing": "", "another document's": other, "unknown": 999_999}[which]
    data = {"layer": IMPORTED, "sentence": sentence, "version": 1, "op": "label"}
    data |= {"start": 0, "end": 1, "label": "PER"}
    response = lenient_client.post(url(document, name), data)
    assert response.status_code in (400, 404, 422), response.status_code
    assert not TagChange.objects.exists()
    other_row = SentenceTags.objects.get(sentence_id=other)
    assert (other_row.tags, other_row.version) == (["B-PER", "O", "O"], 1)
