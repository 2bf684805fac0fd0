"""The API holds requests to its OpenAPI schema (issue 12, item 9): what the schema forbids is a
400 naming the parameter, what it allows is accepted (or 422 when it cannot be done with these
values), and what it answers fits the schema (a stored URL is a URI)."""

from __future__ import annotations

import pytest

from annotator.api.serializers import TaggerModelCreateSerializer
from annotator.models import Project, TaggerModel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["page_size=null", "page_size=0", "page=-1", "page=1&page=2"])
def test_a_page_parameter_the_schema_forbids_is_a_400_naming_it(api, team, query):
    response = api("manager").get(f"/api/v1/projects/?{query}")

    assert response.status_code == 400
    (name,) = response.json()["errors"]
    assert query.startswith(name)


def test_a_page_size_above_the_most_gives_the_most(api, team):
    response = api("manager").get("/api/v1/projects/?page_size=100000")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["tasks/?state=", "jobs/?state=", "conll/?scheme=", "tasks/?state=submitted&state=approved"],
)
def test_a_blank_or_repeated_filter_is_refused_not_ignored(api, team, path):
    response = api("manager").get(f"/api/v1/projects/{team.project.pk}/{path}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "change", [{"agreement_open": "0"}, {"agreement_open": 1}, {"task_size": "5"}, {"labels": "X"}]
)
def test_a_json_value_of_the_wrong_type_is_refused_and_nothing_changes(api, team, change):
    before = Project.objects.values().get(pk=team.project.pk)

    response = api("manager").patch(f"/api/v1/projects/{team.project.pk}/", change, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(change)
    assert Project.objects.values().get(pk=team.project.pk) == before


def test_an_id_of_another_project_is_422_not_400(api, team):
    response = api("manager").post(
        f"/api/v1/projects/{team.project.pk}/tasks/",
        {"mode": "auto", "documents": [999_999]},
        format="json",
    )

    assert response.status_code == 422
    assert "documents" in response.json()["errors"]


def test_a_remote_model_url_is_stored_and_answered_as_a_uri(api, team, settings):
    settings.REMOTE_MODEL_HOSTS = ["127.0.0.1"]

    response = api("manager").post(
        f"/api/v1/projects/{team.project.pk}/models/",
        {"kind": "remote", "name": "far", "url": "http://127.0.0.1:8765/tag/ä?x=é"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    uri = "http://127.0.0.1:8765/tag/%C3%A4?x=%C3%A9"
    assert response.json()["url"] == uri
    assert TaggerModel.objects.get(name="far").settings["url"] == uri


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("http://bücher.example:8765/", "http://xn--bcher-kva.example:8765/"),
        ("http://tagger:8000/tag", "http://tagger:8000/tag"),  # a compose service's name
        ("https://0.a/", "https://0.a/"),
        ("http://[fd00::7]:8765/", "http://[fd00::7]:8765/"),
    ],
)
def test_any_http_uri_is_a_valid_remote_model_url_and_is_kept_as_ascii(url, uri):
    serializer = TaggerModelCreateSerializer(data={"kind": "remote", "name": "m", "url": url})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["url"] == uri


@pytest.mark.parametrize("url", ["ftp://x.example/", "http://x.example:99999/", "http://a b/"])
def test_what_is_not_an_http_uri_is_refused(url):
    serializer = TaggerModelCreateSerializer(data={"kind": "remote", "name": "m", "url": url})

    assert not serializer.is_valid()
    assert list(serializer.errors) == ["url"]
