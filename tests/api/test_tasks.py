"""Tasks through the API: listing, assignment and the workflow, by the pages' rules."""

from __future__ import annotations

import pytest

from annotator.models import GOLD, SentenceTags, Task, TaskEvent
from tests.api.conftest import token_client
from tests.conftest import row_counts

pytestmark = pytest.mark.django_db
State = Task.State


def tasks_url(team) -> str:
    return f"/api/v1/projects/{team.project.pk}/tasks/"


def step(client, task, **data):
    return client.post(f"/api/v1/tasks/{task.pk}/transition/", data, format="json")


def state_of(task) -> str:
    return Task.objects.get(pk=task.pk).state


def test_reviewers_list_every_task_and_annotators_their_own(api, team):
    api("manager").post(
        tasks_url(team),
        {"mode": "hand", "documents": [team.other_document.pk], "annotators": [team.idle.pk]},
        format="json",
    )
    assert api("reviewer").get(tasks_url(team)).json()["count"] == 2
    mine = api("annotator").get(tasks_url(team)).json()["results"]
    assert [(t["annotator"], t["layer"], t["state"]) for t in mine] == [
        ("ann", "annotator ann", "assigned")
    ]
    only = api("reviewer").get(tasks_url(team), {"annotator": "idle"}).json()["results"]
    assert [t["document"] for t in only] == [team.other_document.pk]


def test_withdrawn_tasks_are_listed_only_when_asked_for(api, team):
    Task.objects.filter(pk=team.task.pk).update(state=State.WITHDRAWN)
    assert api("manager").get(tasks_url(team)).json()["count"] == 0
    assert api("manager").get(tasks_url(team), {"state": "withdrawn"}).json()["count"] == 1


def test_a_manager_assigns_automatically(api, team):
    response = api("manager").post(
        tasks_url(team), {"documents": [team.other_document.pk]}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["unstaffed"] == 0
    (task,) = body["tasks"]
    assert task["annotator"] == "idle"  # the annotator with the least open work
    assert task["state"] == "assigned" and task["layer"] == "annotator idle"


def test_assigning_by_hand_without_annotators_names_the_problem(api, team):
    before = row_counts()
    response = api("manager").post(
        tasks_url(team), {"mode": "hand", "documents": [team.other_document.pk]}, format="json"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "non_field_errors": ["Pick the annotators to assign by hand."]
    }
    assert row_counts() == before


def test_assigning_a_document_of_another_project_is_refused(api, team):
    from tests.conftest import SMALL, import_files

    foreign = import_files("Elsewhere", SMALL).project.documents.get()
    response = api("manager").post(tasks_url(team), {"documents": [foreign.pk]}, format="json")
    assert response.status_code == 422 and "documents" in response.json()["errors"]


@pytest.mark.parametrize("role", ["reviewer", "annotator"])
def test_only_managers_assign(api, team, role):
    response = api(role).post(
        tasks_url(team), {"documents": [team.other_document.pk]}, format="json"
    )
    assert response.status_code == 403


def test_an_annotator_without_tasks_lists_none_and_a_non_member_gets_404(api, team):
    assert api("idle").get(tasks_url(team)).json()["count"] == 0
    assert token_client(team.outsider).get(tasks_url(team)).status_code == 404


def test_a_task_is_visible_to_reviewers_and_its_annotator_only(api, team):
    url = f"/api/v1/tasks/{team.task.pk}/"
    assert api("annotator").get(url).json()["id"] == team.task.pk
    assert api("reviewer").get(url).status_code == 200
    assert api("idle").get(url).status_code == 404
    assert token_client(team.outsider).get(url).status_code == 404


def test_the_whole_workflow_with_changes_requested_and_approval_into_gold(api, team):
    annotator, reviewer = api("annotator"), api("reviewer")
    assert step(annotator, team.task, action="start").json()["state"] == "in_progress"
    assert step(annotator, team.task, action="submit").json()["state"] == "submitted"
    response = step(reviewer, team.task, action="changes", comment="tag the city")
    assert response.json()["state"] == "changes_requested"
    assert response.json()["comment"] == "tag the city"
    assert step(annotator, team.task, action="start").json()["state"] == "in_progress"
    assert step(annotator, team.task, action="submit").status_code == 200
    response = step(reviewer, team.task, action="approve", copy_to_gold=True)
    assert response.json()["state"] == "approved"
    assert SentenceTags.objects.filter(layer__name=GOLD).count() == 4
    assert list(TaskEvent.objects.filter(task=team.task).values_list("to_state", flat=True)) == [
        "assigned",
        "in_progress",
        "submitted",
        "changes_requested",
        "in_progress",
        "submitted",
        "approved",
    ]


def test_a_step_the_state_does_not_allow_is_409(api, team):
    response = step(api("annotator"), team.task, action="submit")
    assert response.status_code == 409
    assert response.json() == {"detail": "a task that is Assigned cannot become submitted"}
    assert state_of(team.task) == State.ASSIGNED


def test_requesting_changes_needs_a_comment(api, team):
    Task.objects.filter(pk=team.task.pk).update(state=State.SUBMITTED)
    response = step(api("reviewer"), team.task, action="changes")
    assert response.status_code == 422
    assert response.json()["errors"] == {"comment": ["Say what should change."]}


def test_only_the_tasks_annotator_starts_it_others_get_404(api, team):
    for role in ("manager", "reviewer", "idle"):
        assert step(api(role), team.task, action="start").status_code == 404
    assert state_of(team.task) == State.ASSIGNED


def test_annotators_cannot_approve_and_reviewers_cannot_withdraw(api, team):
    Task.objects.filter(pk=team.task.pk).update(state=State.SUBMITTED)
    assert step(api("annotator"), team.task, action="approve").status_code == 403
    assert step(api("reviewer"), team.task, action="withdraw").status_code == 403
    assert state_of(team.task) == State.SUBMITTED


def test_a_manager_reassigns_with_the_work_and_withdraws(api, team):
    manager = api("manager")
    response = step(manager, team.task, action="reassign", to=team.idle.pk)
    assert response.status_code == 200 and response.json()["annotator"] == "idle"
    response = step(manager, team.task, action="reassign", to=team.outsider.pk)
    assert response.status_code == 422
    assert response.json()["errors"] == {"to": ["Pick an annotator of this project."]}
    assert step(manager, team.task, action="withdraw").json()["state"] == "withdrawn"
    assert step(manager, team.task, action="withdraw").status_code == 409
