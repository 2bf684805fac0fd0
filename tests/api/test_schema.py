"""The OpenAPI schema: valid, complete, and served with an interactive page that needs no CDN."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern

from annotator.api import urls as api_urls

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_a_warning(tmp_path):
    out = tmp_path / "schema.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", out
    )
    assert json.loads(out.read_text())["openapi"].startswith("3.")


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def api_paths() -> set[str]:
    """Every /api/v1/ route, written as the schema writes it ({id} for <int:pk>)."""
    (v1,) = [p for p in api_urls.urlpatterns if str(p.pattern) == "v1/"]
    paths = set()
    for pattern in v1.url_patterns:
        assert isinstance(pattern, URLPattern)
        route = re.sub(r"<int:pk>", "{id}", str(pattern.pattern))
        paths.add("/api/v1/" + re.sub(r"<int:(\w+)>", r"{\1}", route))
    return paths


def test_every_api_route_is_in_the_schema(schema):
    assert api_paths() == set(schema["paths"])


def test_every_operation_lists_its_errors_and_says_who_may_call_it(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "429"} <= codes, (method, path)
            assert any(code.startswith("2") for code in codes), (method, path)
            if "{id}" in path:
                assert "404" in codes, (method, path)
            assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}]


def test_the_edit_documents_its_409_with_the_current_sentence(schema):
    edit = schema["paths"]["/api/v1/documents/{id}/sentences/{sentence_id}/edit/"]["post"]
    conflict = edit["responses"]["409"]["content"]["application/json"]["schema"]
    assert conflict == {"$ref": "#/components/schemas/Stale"}
    stale = schema["components"]["schemas"]["Stale"]
    assert stale["properties"]["sentence"] == {
        "allOf": [{"$ref": "#/components/schemas/Sentence"}],
        "description": "The sentence as it is now.",
    }


def test_the_upload_is_multipart_with_binary_files(schema):
    upload = schema["paths"]["/api/v1/projects/{id}/documents/"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    fields = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]
    assert fields["files"]["items"] == {"type": "string", "format": "binary"}
    assert set(upload["responses"]) >= {"201", "202", "400", "403", "404"}


def test_downloads_are_documented_as_files(schema):
    paths = schema["paths"]
    conll = paths["/api/v1/documents/{id}/conll/"]["get"]["responses"]["200"]["content"]
    assert conll == {"text/plain": {"schema": {"type": "string", "format": "binary"}}}
    jsonl = paths["/api/v1/documents/{id}/jsonl/"]["get"]["responses"]["200"]["content"]
    assert list(jsonl) == ["application/x-ndjson"]


def test_the_docs_page_is_served_from_our_own_static_files():
    page = Client().get("/api/docs/").content.decode()
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    scripts = re.findall(r'src="/static/([^"]+)"', page)
    assert any("swagger-ui-bundle" in s for s in scripts)
    for script in scripts:
        assert finders.find(script), script
