"""A refused htmx request says why in words the page shows (annotator/middleware.py), and the
document page is never kept by the browser (issue 11, problems 1 to 3)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from annotator.models import IMPORTED, Membership

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def annotator_client(django_user_model, project) -> Client:
    user = django_user_model.objects.create_user("ann", password="annotator-pass-123")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ANNOTATOR)
    project.blind = False  # the annotator sees the document, but may not edit gold
    project.save()
    client = Client()
    client.force_login(user)
    return client


def edit_url(document) -> str:
    return reverse("annotator-sentence-edit", args=[document.pk])


def test_a_forbidden_htmx_edit_answers_403_with_its_reason(annotator_client, document) -> None:
    sentence = document.sentences.get(position=0)
    data = {"layer": "gold", "sentence": sentence.pk, "version": 1, "op": "label", "label": "PER"}
    response = annotator_client.post(edit_url(document), data, **HTMX)
    assert response.status_code == 403
    reason = unquote(response["X-Reason"])
    assert reason and reason in response.content.decode()


def test_a_page_refused_without_htmx_keeps_djangos_error_page(outsider_client, document):
    url = reverse("annotator-document-detail", args=[document.pk])
    page = outsider_client.get(url)
    assert page.status_code == 404
    assert "X-Reason" not in page
    fragment = outsider_client.get(url, **HTMX)
    assert fragment.status_code == 404
    assert unquote(fragment["X-Reason"]) == "No such project."  # tells an outsider nothing


def test_a_missing_version_is_a_400_that_names_it(member_client, document) -> None:
    sentence = document.sentences.get(position=0)
    data = {"layer": IMPORTED, "sentence": sentence.pk, "op": "label", "label": "PER"}
    response = member_client.post(edit_url(document), data, **HTMX)
    assert response.status_code == 400
    assert unquote(response["X-Reason"]) == "version is required"


def test_an_htmx_request_after_the_session_ended_gets_401_not_the_login_page(client, document):
    response = client.post(edit_url(document), {"layer": IMPORTED}, **HTMX)
    assert response.status_code == 401
    assert "log in again" in unquote(response["X-Reason"])


def test_a_refused_edit_carries_the_services_reason(member_client, document) -> None:
    sentence = document.sentences.get(position=0)
    data = {"layer": IMPORTED, "sentence": sentence.pk, "version": 1, "op": "label"}
    data.update(start=0, end=1, label="NOPE")
    response = member_client.post(edit_url(document), data, **HTMX)
    assert response.status_code == 422
    assert "NOPE" in unquote(response["X-Reason"])


def test_the_document_page_is_never_stored_by_the_browser(member_client, document) -> None:
    response = member_client.get(reverse("annotator-document-detail", args=[document.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
