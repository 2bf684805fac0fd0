"""Setting a project up in the app, no admin: a superuser lets someone create projects (page or
command), and they create one with its name, scheme and labels from the project list."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from annotator import access
from annotator.models import Membership, Project


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fresh(user):
    """The user as the next request loads them (permissions are cached per object)."""
    return get_user_model().objects.get(pk=user.pk)


def create(client: Client, **data):
    fields = {"name": "Chips", "scheme": "iob2", "labels": "Device\nLibrary, Person", **data}
    return client.post(reverse("annotator-project-create"), fields, headers={"HX-Request": "true"})


def test_a_superuser_creates_a_project_with_its_labels_from_the_project_list(superuser):
    client = client_of(superuser)
    page = client.get(reverse("annotator-project-list")).content.decode()
    assert "New project" in page and 'name="labels"' in page
    response = create(client)
    project = Project.objects.get(name="Chips")
    assert response["HX-Redirect"] == reverse("annotator-project-detail", args=[project.pk])
    assert project.labels == ["Device", "Library", "Person"]
    assert project.scheme == "iob2"
    assert len(set(project.label_colours.values())) == 3
    assert Membership.objects.get(project=project).user == superuser


def test_someone_without_the_right_sees_no_form_and_is_refused(member):
    client = client_of(member)
    page = client.get(reverse("annotator-project-list")).content.decode()
    assert "New project" not in page
    assert "a superuser can let you create projects" in page
    assert create(client).status_code == 403
    assert not Project.objects.filter(name="Chips").exists()


def test_a_superuser_grants_the_right_in_the_app_and_revokes_it(superuser, member):
    client = client_of(superuser)
    url = reverse("annotator-project-creators")
    response = client.post(url, {"username": "mia", "allowed": "1"}, headers={"HX-Request": "true"})
    assert "mia may create projects now." in response.content.decode()
    assert access.may_create_projects(fresh(member))
    assert create(client_of(member), name="Mia's").status_code == 200
    assert Project.objects.get(name="Mia's").membership_set.get().user == member

    response = client.post(url, {"username": "mia", "allowed": "0"}, headers={"HX-Request": "true"})
    assert "mia may no longer create projects." in response.content.decode()
    assert not access.may_create_projects(fresh(member))


def test_granting_to_an_unknown_account_says_so(superuser):
    response = client_of(superuser).post(
        reverse("annotator-project-creators"),
        {"username": "ghost", "allowed": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "Not done: there is no account named &#x27;ghost&#x27;." in response.content.decode()


def test_only_a_superuser_grants_the_right(member, outsider):
    Membership.objects.create(project=Project.objects.create(name="P"), user=member, role="manager")
    response = client_of(member).post(
        reverse("annotator-project-creators"), {"username": "olaf", "allowed": "1"}
    )
    assert response.status_code == 403
    assert not access.may_create_projects(fresh(outsider))


def test_the_command_grants_and_revokes(member):
    out = StringIO()
    call_command("grant_create_projects", "mia", stdout=out)
    assert out.getvalue() == "mia may create projects now.\n"
    assert access.may_create_projects(fresh(member))
    call_command("grant_create_projects", "mia", "--revoke", stdout=StringIO())
    assert not access.may_create_projects(fresh(member))
    with pytest.raises(CommandError, match="no account named 'nobody'"):
        call_command("grant_create_projects", "nobody")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"name": "  "}, "This field is required."),
        ({"labels": "two words"}, "no spaces"),
        ({"name": "small corpus"}, "a project named &#x27;small corpus&#x27; exists already"),
        ({"scheme": "xml"}, "Select a valid choice."),
    ],
)
def test_a_project_that_cannot_be_made_says_why_in_the_form(superuser, project, data, reason):
    response = create(client_of(superuser), **data)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert Project.objects.count() == 1


def test_creating_needs_the_csrf_token(superuser):
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert create(client).status_code == 403


# --- the API --------------------------------------------------------------------------------------


def api_create(user, **data):
    client = Client()
    client.force_login(user)
    body = {"name": "Scripted", "scheme": "bioes", "labels": ["Device", "Library"], **data}
    return client.post("/api/v1/projects/", body, content_type="application/json")


def test_the_api_creates_a_project_for_someone_allowed(superuser):
    response = api_create(superuser)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["scheme"], body["labels"]) == (
        "Scripted",
        "bioes",
        ["Device", "Library"],
    )
    assert Project.objects.get(name="Scripted").membership_set.get().user == superuser


def test_the_api_refuses_someone_not_allowed_and_a_bad_label_saying_why(superuser, member):
    response = api_create(member)
    assert response.status_code == 403
    assert "a superuser can allow you" in response.json()["detail"]
    response = api_create(superuser, labels=["two words"])
    assert response.status_code == 422
    assert "no spaces" in response.json()["errors"]["labels"][0]
    assert not Project.objects.exists()
