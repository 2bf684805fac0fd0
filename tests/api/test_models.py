"""Pre-annotation models through the API: list and register (remote, spaCy)."""

from __future__ import annotations

import pytest

from annotator.models import TaggerModel
from tests.api.conftest import token_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_model_servers")]


def models_url(team) -> str:
    return f"/api/v1/projects/{team.project.pk}/models/"


def register(client, team, **data):
    return client.post(models_url(team), data, format="json")


def test_a_manager_registers_a_remote_model_as_the_next_version(api, team):
    client = api("manager")
    first = register(client, team, kind="remote", name="ner", url="http://127.0.0.1:8765/")
    assert first.status_code == 201, first.json()
    second = register(client, team, kind="remote", name="ner", url="http://127.0.0.1:8766/")
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert second.json()["kind"] == "remote" and second.json()["created_by"] == "manny"
    listed = api("reviewer").get(models_url(team)).json()["results"]
    assert [(m["name"], m["version"]) for m in listed] == [("ner", 2), ("ner", 1)]


def test_a_remote_model_needs_an_http_address(api, team):
    response = register(api("manager"), team, kind="remote", name="ner", url="ftp://x/")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"url"}
    response = register(api("manager"), team, kind="remote", name="ner")
    assert response.json()["errors"] == {"url": ["This field is required."]}
    assert not TaggerModel.objects.exists()


def test_a_spacy_model_maps_its_labels_to_the_projects(api, team):
    client = api("manager")
    response = register(
        client, team, kind="spacy", name="sp", pipeline="en_core_web_sm", mapping={"ORG": "PER"}
    )
    assert response.status_code == 201
    assert response.json()["mapping"] == {"ORG": "PER"}
    response = register(
        client, team, kind="spacy", name="sp", pipeline="en_core_web_sm", mapping={"ORG": "Org"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"mapping": ["not labels of the project: Org"]}


@pytest.mark.parametrize("role", ["reviewer", "annotator"])
def test_only_managers_register_models(api, team, role):
    response = register(api(role), team, kind="remote", name="ner", url="http://127.0.0.1:1/")
    assert response.status_code == 403
    assert not TaggerModel.objects.exists()


def test_annotators_do_not_see_models_and_non_members_get_404(api, team):
    assert api("annotator").get(models_url(team)).status_code == 403
    assert token_client(team.outsider).get(models_url(team)).status_code == 404


def test_a_registered_model_can_pre_annotate(api, team, queued):
    client = api("manager")
    model = register(client, team, kind="remote", name="ner", url="http://127.0.0.1:1/").json()
    response = client.post(
        f"/api/v1/projects/{team.project.pk}/jobs/",
        {"kind": "preannotate", "model": model["id"]},
        format="json",
    )
    assert response.status_code == 202
    assert response.json()["params"] == {"model": model["id"], "documents": []}
