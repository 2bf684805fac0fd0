"""The dashboard's per-day chart and the Assign page's reassign choices, as a manager sees them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from annotator.models import Project, Task, TaskEvent
from annotator.services import workflow
from tests.services.test_tasks import PROJECT, manager_client, one_task, user
from tests.services.test_tasks import corpus as corpus  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.usefixtures("corpus")

State = Task.State
RECT = re.compile(r'<rect x="([^"]*)" y="([^"]*)" width="22" height="([^"]*)"')
DAY_LABEL = re.compile(r'<text x="([^"]*)" y="79"')


def submit(task: Task, days_ago: int) -> None:
    for step in (State.IN_PROGRESS, State.SUBMITTED):
        workflow.transition(user=task.annotator, task_id=task.pk, to=step, as_reviewer=False)
    when = timezone.now() - timedelta(days=days_ago)
    TaskEvent.objects.filter(task=task, to_state=State.SUBMITTED).update(created_at=when)


def test_the_per_day_chart_puts_each_day_in_its_own_place_and_bars_stand_on_the_axis() -> None:
    corpus = Project.objects.get(name=PROJECT)
    submit(one_task(corpus, "ann1", document=0), days_ago=0)
    submit(one_task(corpus, "ann2", document=0), days_ago=0)
    submit(one_task(corpus, "ann1", document=1), days_ago=3)
    page = manager_client().get(reverse("annotator-dashboard", args=[corpus.pk])).content.decode()
    bars = [(float(x), float(y), float(h)) for x, y, h in RECT.findall(page)]
    labels = [float(x) for x in DAY_LABEL.findall(page)]
    assert len(bars) == len(labels) == 14
    xs = [x for x, _, _ in bars]
    assert xs == sorted(xs) and len(set(xs)) == 14, "each day has its own slot, oldest first"
    assert labels == sorted(labels) and len(set(labels)) == 14
    assert all(x >= 0 and x + 22 <= 420 for x in xs), "every bar is inside the chart"
    assert len({y + h for _, y, h in bars}) == 1, "every bar stands on the same axis"
    heights = [h for _, _, h in bars]
    assert heights[-1] == 60 and heights[-4] == 30 and heights.count(0) == 12


def test_reassign_offers_only_annotators_who_do_not_have_that_part() -> None:
    corpus = Project.objects.get(name=PROJECT)
    task = one_task(corpus, "ann1", document=0)
    one_task(corpus, "ann2", document=0)
    page = manager_client().get(reverse("annotator-assign", args=[corpus.pk])).content.decode()
    row = page.split(f'id="task-{task.pk}"')[1].split("</tr>")[0]
    offered = re.findall(r'<option value="(\d+)">', row)
    assert offered == [str(user("ann3").pk)]
    response = manager_client().post(
        reverse("annotator-task-action", args=[task.pk]),
        {"action": "reassign", "to": offered[0]},
    )
    assert [str(m) for m in response.wsgi_request._messages] == [
        "Reassigned to ann3, with the work done so far."
    ]


def test_a_task_no_one_else_can_take_says_so_instead_of_a_reassign_button() -> None:
    corpus = Project.objects.get(name=PROJECT)
    task = one_task(corpus, "ann1", document=0)
    one_task(corpus, "ann2", document=0)
    one_task(corpus, "ann3", document=0)
    page = manager_client().get(reverse("annotator-assign", args=[corpus.pk])).content.decode()
    row = page.split(f'id="task-{task.pk}"')[1].split("</tr>")[0]
    assert "Reassign</button>" not in row
    assert "every other annotator already has this part" in row
