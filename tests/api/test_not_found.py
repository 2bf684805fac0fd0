"""Paths under /api/ that match no endpoint answer like every API error: JSON, not a page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v1/tasks/null,null/transition/", "/api/v1/projects/abc/", "/api/v1/nothing-here/"],
)
def test_an_unknown_api_path_gets_a_json_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_post_to_an_unknown_api_path_with_a_session_cookie_is_a_json_404_too(django_user_model):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_user("pia", password="pw-pia-1234"))

    response = client.post("/api/v1/projects/null,null/jobs/", {"kind": "gazetteer"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_pages_outside_the_api_keep_their_html_404(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("pat", password="pw-pat-1234"))

    response = client.get("/projects/999999/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
