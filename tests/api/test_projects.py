"""Projects and members through the API."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from annotator.models import Membership
from tests.api.conftest import token_client
from tests.conftest import SMALL, import_files

pytestmark = pytest.mark.django_db


def url(team, tail: str = "") -> str:
    return f"/api/v1/projects/{team.project.pk}/{tail}"


def test_the_project_list_shows_only_the_users_own_projects(api, team):
    import_files("Someone else's", SMALL)
    body = api("annotator").get("/api/v1/projects/").json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    assert [p["name"] for p in body["results"]] == ["API corpus"]
    assert body["results"][0]["labels"] == ["Algorithm", "Device", "LOC", "PER"]
    assert token_client(team.outsider).get("/api/v1/projects/").json()["count"] == 0


def test_a_superuser_sees_every_project(team, django_user_model):
    import_files("Someone else's", SMALL)
    boss = django_user_model.objects.create_superuser("boss", password="pw-123456")
    names = [p["name"] for p in token_client(boss).get("/api/v1/projects/").json()["results"]]
    assert names == ["API corpus", "Someone else's"]


def test_the_project_list_filters_by_name(api, team):
    client = api("manager")
    assert client.get("/api/v1/projects/", {"search": "corp"}).json()["count"] == 1
    assert client.get("/api/v1/projects/", {"search": "nothing"}).json()["count"] == 0


def test_the_detail_gives_labels_scheme_settings_and_the_users_roles(api, team):
    body = api("reviewer").get(url(team)).json()
    assert body["scheme"] == "iob2" and body["blind"] is True
    assert body["roles"] == ["reviewer"]
    assert (body["documents"], body["sentences"], body["tokens"]) == (2, 8, 52)


def test_a_blind_annotator_counts_only_their_tasks_documents(api, team):
    assert api("annotator").get(url(team)).json()["documents"] == 1
    assert api("idle").get(url(team)).json()["documents"] == 0


def test_a_non_member_gets_404_for_the_project_and_everything_in_it(team):
    client = token_client(team.outsider)
    for tail in ("", "members/", "documents/", "tasks/", "jobs/", "models/", "conll/"):
        response = client.get(url(team, tail))
        assert response.status_code == 404, tail
        assert response.json() == {"detail": "No such project."}
        assert "API corpus" not in response.content.decode()


def test_an_unknown_project_is_404_like_a_foreign_one(api, team):
    assert api("manager").get("/api/v1/projects/999999/").status_code == 404


def test_only_managers_see_the_members(api, team):
    body = api("manager").get(url(team, "members/")).json()
    assert [(m["username"], m["roles"]) for m in body["results"]] == [
        ("ann", ["annotator"]),
        ("idle", ["annotator"]),
        ("manny", ["manager"]),
        ("rex", ["reviewer"]),
    ]
    for role in ("reviewer", "annotator"):
        response = api(role).get(url(team, "members/"))
        assert response.status_code == 403
        assert response.json() == {"detail": "Your role in this project does not allow this."}


def test_a_manager_adds_a_new_account_with_roles(api, team):
    response = api("manager").post(
        url(team, "members/"),
        {"username": "newbie", "password": "pw-new-1234", "roles": ["annotator", "reviewer"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["roles"] == ["annotator", "reviewer"]
    user = get_user_model().objects.get(username="newbie")
    assert user.check_password("pw-new-1234")
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {
        "annotator",
        "reviewer",
    }


def test_adding_an_existing_user_needs_no_password(api, team):
    response = api("manager").post(
        url(team, "members/"), {"username": "olaf", "roles": ["reviewer"]}, format="json"
    )
    assert response.status_code == 201
    assert token_client(team.outsider).get(url(team)).json()["roles"] == ["reviewer"]


def test_a_new_account_without_a_password_is_refused_with_the_field_named(api, team):
    response = api("manager").post(
        url(team, "members/"), {"username": "ghost", "roles": ["annotator"]}, format="json"
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Not possible with these values.",
        "errors": {"password": ["A new account needs a password."]},
    }
    assert not get_user_model().objects.filter(username="ghost").exists()


def test_field_errors_name_each_field(api, team):
    response = api("manager").post(url(team, "members/"), {"roles": ["chief"]}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"username", "roles"}
    assert all(isinstance(m, str) for messages in errors.values() for m in messages)


def test_only_managers_add_members(api, team):
    for role in ("reviewer", "annotator"):
        response = api(role).post(
            url(team, "members/"), {"username": "olaf", "roles": ["manager"]}, format="json"
        )
        assert response.status_code == 403
    assert not Membership.objects.filter(user=team.outsider).exists()


def test_a_manager_changes_labels_and_settings_as_the_settings_page_would(api, team):
    url = f"/api/v1/projects/{team.project.pk}/"
    labels = [*team.project.labels, "Dataset"]

    response = api("manager").patch(
        url, {"labels": labels, "adjudication_rule": "all", "task_size": 20}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["labels"], body["adjudication_rule"], body["task_size"]) == (labels, "all", 20)
    team.project.refresh_from_db()
    assert team.project.labels == labels and team.project.adjudication_rule == "all"
    assert team.project.blind  # untouched fields keep their values


def test_removing_a_label_in_use_is_refused_like_on_the_settings_page(api, team):
    before = list(team.project.labels)

    response = api("manager").patch(
        f"/api/v1/projects/{team.project.pk}/", {"labels": before[1:]}, format="json"
    )

    assert response.status_code == 422
    assert "Removing labels" in response.json()["errors"]["labels"][0]
    team.project.refresh_from_db()
    assert team.project.labels == before


@pytest.mark.parametrize("role", ["reviewer", "annotator"])
def test_only_managers_change_settings(api, team, role):
    response = api(role).patch(
        f"/api/v1/projects/{team.project.pk}/", {"blind": False}, format="json"
    )
    assert response.status_code == 403
    team.project.refresh_from_db()
    assert team.project.blind
