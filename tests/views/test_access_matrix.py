"""Who may reach what: every URL of annotator/urls.py (admin and auth aside) for every kind of user.

The rules (annotator/access.py): anonymous users are sent to log in (/health/ aside: it is public);
someone who is not a member of the project gets 404 for everything of it (its ids tell nothing);
a member without the needed role gets 403; managers may do all a reviewer does. In a blind
project (the default) annotators see only their own tasks' documents and there only their own
layer and their task's starting layer: anything else is 404 to them, as if it did not exist.

Two projects: A ("Alpha project": alpha-one.conll with a gold layer and two annotator tasks,
alpha-two.conll without tasks) and B ("Beta project", managed by `member_of_b`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotator import search
from annotator.models import (
    GOLD,
    IMPORTED,
    AgreementReport,
    Decision,
    Document,
    Job,
    Membership,
    Project,
    SentenceTags,
    SuggestionFeedback,
    TagLayer,
    Task,
)
from annotator.services import assignment, editing, jobs
from tests.conftest import import_files, row_counts

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_model_servers")]

# Token text that must never reach someone who may not see its document.
SECRET_ONE = "Quetzalcoatl"  # alpha-one.conll (annotator's task document)
SECRET_TWO = "Xylophonist"  # alpha-two.conll (no tasks)
SECRET_B = "Brontosaurus"  # beta.conll (project B)

ROLES = [
    "superuser",
    "manager",
    "reviewer",
    "annotator",
    "annotator_without_task",
    "member_of_b",
    "anonymous",
]
USERNAMES = {
    "superuser": "sue",
    "manager": "manny",
    "reviewer": "rex",
    "annotator": "ann",
    "annotator_without_task": "idle",
    "member_of_b": "bob",
}
# Groups of roles for the table.
MANAGERS = frozenset({"superuser", "manager"})
REVIEWERS = MANAGERS | {"reviewer"}
SEES_DOC_ONE = REVIEWERS | {"annotator"}  # blind: the annotator has a task on alpha-one only
ANNOTATING = REVIEWERS | {"annotator", "annotator_without_task"}  # require(ANNOTATOR)
MEMBERS_OF_A = ANNOTATING
BLIND_HIDDEN = frozenset({"annotator_without_task"})  # alpha-one does not exist for them


def write(directory: Path, name: str, sentences: list[list[tuple[str, str]]]) -> Path:
    text = "\n\n".join("\n".join(f"{t}\t{g}" for t, g in s) for s in sentences) + "\n"
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class World:
    project_a: Project
    project_b: Project
    doc_one: Document
    doc_two: Document
    doc_b: Document
    users: dict
    task: Task  # the annotator's task on alpha-one
    other_task: Task  # another annotator's task on alpha-one
    extra: dict = field(default_factory=dict)

    def sid(self, document: Document, position: int = 0) -> int:
        return document.sentences.get(position=position).pk

    def version(self, document: Document, layer: str, position: int = 0) -> int:
        return SentenceTags.objects.get(
            layer__document=document, layer__name=layer, sentence__position=position
        ).version


def gold_edit(document: Document, who, position: int = 0) -> None:
    gold = editing.ensure_working_layer(document, GOLD)
    gold.document = document
    row = SentenceTags.objects.get(layer=gold, sentence__position=position)
    editing.edit_sentence(
        user=who,
        layer=gold,
        sentence_id=row.sentence_id,
        version=row.version,
        operation="label",
        start=1,
        end=2,
        label="PER",
    )


@pytest.fixture
def world(tmp_path) -> World:
    User = get_user_model()
    one = write(
        tmp_path,
        "alpha-one.conll",
        [
            [(SECRET_ONE, "B-PER"), ("visited", "O"), ("Paris", "B-LOC"), (".", "O")],
            [("Then", "O"), (SECRET_ONE, "B-PER"), ("left", "O"), (".", "O")],
            [("Nothing", "O"), ("here", "O"), (".", "O")],
        ],
    )
    two = write(
        tmp_path,
        "alpha-two.conll",
        [[(SECRET_TWO, "B-PER"), ("played", "O"), ("in", "O"), ("Rome", "B-LOC")]],
    )
    beta = write(tmp_path, "beta.conll", [[(SECRET_B, "B-PER"), ("roared", "O"), (".", "O")]])
    project_a = import_files("Alpha project", one, two).project
    project_b = import_files("Beta project", beta).project
    doc_one, doc_two = project_a.documents.order_by("position")
    doc_b = project_b.documents.get()

    users = {"superuser": User.objects.create_superuser("sue", password="pw-sue-123")}
    roles_in_a = {
        "manager": Membership.Role.MANAGER,
        "reviewer": Membership.Role.REVIEWER,
        "annotator": Membership.Role.ANNOTATOR,
        "annotator_without_task": Membership.Role.ANNOTATOR,
    }
    for role, member_role in roles_in_a.items():
        users[role] = User.objects.create_user(USERNAMES[role], password="pw-123456")
        Membership.objects.create(project=project_a, user=users[role], role=member_role)
    other = User.objects.create_user("other", password="pw-123456")
    Membership.objects.create(project=project_a, user=other, role=Membership.Role.ANNOTATOR)
    users["member_of_b"] = User.objects.create_user("bob", password="pw-123456")
    Membership.objects.create(
        project=project_b, user=users["member_of_b"], role=Membership.Role.MANAGER
    )

    task, other_task = assignment.assign(
        manager=users["manager"],
        project=project_a,
        documents=[doc_one],
        annotators=[users["annotator"], other],
    )
    if task.annotator_id != users["annotator"].pk:
        task, other_task = other_task, task
    gold_edit(doc_one, users["reviewer"])
    gold_edit(doc_b, users["member_of_b"])
    return World(project_a, project_b, doc_one, doc_two, doc_b, users, task, other_task)


def client_for(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def fingerprint() -> tuple:
    """Everything a forbidden request must leave as it was."""
    return (
        row_counts(),
        sorted(SentenceTags.objects.values_list("pk", "tags", "version", "reviewed")),
        sorted(Task.objects.values_list("pk", "state", "annotator_id", "layer_id", "comment")),
        sorted(
            Project.objects.values_list(
                "pk", "blind", "annotators_per_document", "max_open_tasks", "labels"
            )
        ),
        sorted(Document.objects.values_list("pk", "calibration")),
        sorted(Membership.objects.values_list("project_id", "user_id", "role")),
        sorted(TagLayer.objects.values_list("pk", "name", "owner_id")),
    )


# --- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    id: str
    method: str
    url: Callable[[World], str]
    allowed: frozenset
    ok: tuple = (200,)
    data: Callable[[World, str], dict] = lambda w, role: {}
    # Members of A (not allowed) who get 404 instead of 403: the object is hidden from them.
    hidden: frozenset = frozenset()
    setup: Callable[[World], None] | None = None
    check: Callable[[World, str], None] | None = None  # the effect, for allowed requests
    json: bool = False  # send `data` as a JSON body (the API) instead of a form


def p(name: str, *args) -> Callable[[World], str]:
    """The URL of project A (or, with a getter, of another object)."""
    return lambda w: reverse(name, args=[w.project_a.pk, *args])


def d(name: str, query: str = "") -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.doc_one.pk]) + query


def t(w: World) -> str:
    return reverse("annotator-task-action", args=[w.task.pk])


SUGGESTIONS = "suggestions: crf1 v1 at 2026-11-27 13:05:11 (job 1)"


def add_suggestions(w: World) -> None:
    """A model layer on alpha-one suggesting the first sentence's full stop as a PER."""
    layer = TagLayer.objects.create(document=w.doc_one, name=SUGGESTIONS, kind=TagLayer.Kind.MODEL)
    for sentence in w.doc_one.sentences.all():
        tags = ["O"] * len(sentence.tokens)
        if sentence.position == 0:
            tags[3] = "B-PER"
        SentenceTags.objects.create(layer=layer, sentence=sentence, tags=tags)


def suggestion_data(w: World) -> dict:
    return {
        "layer": GOLD,
        "suggest": SUGGESTIONS,
        "sentence": w.sid(w.doc_one),
        "version": w.version(w.doc_one, GOLD),
        "start": 3,
        "end": 4,
    }


def own_layer(w: World, role: str) -> str:
    """The layer a user's edits go to: the annotator's own layer, gold for everybody else."""
    return w.task.layer.name if role == "annotator" else GOLD


def edit_data(w: World, role: str) -> dict:
    layer = own_layer(w, role)
    name = IMPORTED if layer == GOLD and role in ("annotator_without_task", "anonymous") else layer
    return {
        "layer": name,
        "sentence": w.sid(w.doc_one),
        "version": w.version(w.doc_one, layer) if layer != IMPORTED else 1,
        "op": "label",
        "start": 2,
        "end": 3,
        "label": "PER",
    }


def layer_edit(layer_name: Callable[[World], str]) -> Callable[[World, str], dict]:
    def data(w: World, role: str) -> dict:
        name = layer_name(w)
        return {
            "layer": name,
            "sentence": w.sid(w.doc_one),
            "version": w.version(w.doc_one, name),
            "op": "label",
            "start": 2,
            "end": 3,
            "label": "PER",
        }

    return data


def tags_at(w: World, layer: str, position: int = 0) -> list[str]:
    return SentenceTags.objects.get(
        layer__document=w.doc_one, layer__name=layer, sentence__position=position
    ).tags


def edited(w: World, role: str) -> None:
    assert tags_at(w, own_layer(w, role))[2] == "B-PER"


def task_state(state: str) -> Callable[[World], None]:
    def setup(w: World) -> None:
        Task.objects.filter(pk=w.task.pk).update(state=state)

    return setup


def task_is(state: str, annotator: str | None = "annotator") -> Callable[[World, str], None]:
    def check(w: World, role: str) -> None:
        task = Task.objects.get(pk=w.task.pk)
        assert task.state == state
        if annotator:
            assert task.annotator == w.users[annotator]

    return check


def upload_data(w: World, role: str) -> dict:
    body = f"{SECRET_TWO}x\tB-PER\n.\tO\n".encode()
    return {"files": SimpleUploadedFile("alpha-three.conll", body), "scheme": "auto"}


def relabel_data(w: World, role: str) -> dict:
    group = search.find(w.project_a, SECRET_ONE).groups[0]
    return {"q": SECRET_ONE, "tagging": group.tagging, "label": "LOC"}


def settings_data(w: World, role: str) -> dict:
    return {
        "blind": "on",
        "annotators_per_document": 3,
        "labels_text": "\n".join(w.project_a.labels),
        "adjudication_rule": "majority",  # the settings form asks for it since issue 6
    }


def label_added(w: World, role: str) -> None:
    assert f"New_{role}" in Project.objects.get(pk=w.project_a.pk).labels


def settings_saved(w: World, role: str) -> None:
    assert Project.objects.get(pk=w.project_a.pk).annotators_per_document == 3


def take_data(w: World, role: str) -> dict:
    return {
        "left": IMPORTED,
        "right": GOLD,
        "source": IMPORTED,
        "sentence": w.sid(w.doc_one),
        "start": 1,
        "end": 2,
        "version": w.version(w.doc_one, GOLD),
    }


def taken(w: World, role: str) -> None:
    assert tags_at(w, GOLD)[1] == "O"


HISTORY = lambda w: reverse(  # noqa: E731
    "annotator-sentence-history", args=[w.doc_one.pk, w.sid(w.doc_one)]
)
OTHER_LAYER = "annotator other"


def open_agreement(w: World) -> None:
    Project.objects.filter(pk=w.project_a.pk).update(agreement_open=True)


def with_report(w: World) -> None:
    """A stored agreement report whose drill-down lists alpha-one's first sentence."""
    pair = {"any": {"count": 1, "sentences": [[w.doc_one.pk, 0]]}}
    w.extra["report"] = AgreementReport.objects.create(
        project=w.project_a,
        params={"layers": ["annotator ann", OTHER_LAYER], "gold": "", "finished_only": True},
        cells={f"annotator ann|{OTHER_LAYER}": pair},
    )


def report_cell(w: World) -> str:
    url = reverse("annotator-agreement-cell", args=[w.project_a.pk, w.extra["report"].pk])
    return url + "?a=annotator+ann&b=annotator+other&cell=any"


def in_dispute(w: World) -> None:
    """Both annotators hand in alpha-one; "other" reads Paris as ORG where "ann" has LOC."""
    Task.objects.filter(pk__in=[w.task.pk, w.other_task.pk]).update(state=Task.State.SUBMITTED)
    SentenceTags.objects.filter(
        layer__document=w.doc_one, layer__name=OTHER_LAYER, sentence__position=0
    ).update(tags=["B-PER", "O", "B-ORG", "O"])


def decide_data(w: World, role: str) -> dict:
    return {"sentence": w.sid(w.doc_one), "start": 2, "end": 3, "choice": "reading-1"}


def decided(w: World, role: str) -> None:
    assert Decision.objects.get().chosen == [[2, 3, "ORG"]]
    assert tags_at(w, GOLD)[2] == "B-ORG"


AGREEMENT_POST = {"layers": ["annotator ann", OTHER_LAYER], "gold": GOLD, "finished_only": "1"}

ROUTES = [
    # Public: container health checks and load balancers have no login (tests/views/test_health.py).
    Route("health", "GET", lambda w: reverse("annotator-health"), frozenset(ROLES)),
    Route("project-list", "GET", lambda w: reverse("annotator-project-list"), MEMBERS_OF_A),
    Route("project-detail", "GET", p("annotator-project-detail"), MEMBERS_OF_A),
    Route(
        "project-upload",
        "POST",
        p("annotator-project-upload"),
        MANAGERS,
        data=upload_data,
        check=lambda w, r: w.project_a.documents.get(name="alpha-three.conll"),
    ),
    Route("project-export", "GET", p("annotator-project-export"), MANAGERS),
    Route(
        "project-export-job",
        "POST",
        p("annotator-project-export"),
        MANAGERS,
        ok=(302,),
        check=lambda w, r: Job.objects.get(kind="export", project=w.project_a),
    ),
    Route(
        "project-search", "GET", lambda w: p("annotator-project-search")(w) + "?q=Paris", REVIEWERS
    ),
    Route("project-relabel", "POST", p("annotator-project-relabel"), REVIEWERS, data=relabel_data),
    Route("my-tasks", "GET", p("annotator-my-tasks"), ANNOTATING),
    Route("start-next", "POST", p("annotator-start-next"), ANNOTATING, ok=(302,)),
    Route("queue", "GET", p("annotator-queue"), REVIEWERS),
    Route("project-uncertainty", "GET", p("annotator-project-uncertainty"), REVIEWERS),
    Route("dashboard", "GET", p("annotator-dashboard"), MANAGERS),
    Route("assign", "GET", p("annotator-assign"), MANAGERS),
    Route(
        "assign-post",
        "POST",
        p("annotator-assign"),
        MANAGERS,
        ok=(302,),
        data=lambda w, r: {
            "mode": "auto",
            "documents": [w.doc_two.pk],
            "start_layer": IMPORTED,
        },
        check=lambda w, r: Task.objects.get(document=w.doc_two),
    ),
    Route("members", "GET", p("annotator-members"), MANAGERS),
    Route(
        "members-post",
        "POST",
        p("annotator-members"),
        MANAGERS,
        ok=(302,),
        data=lambda w, r: {"username": "newbie", "password": "pw-new-1234", "roles": ["reviewer"]},
        check=lambda w, r: Membership.objects.get(project=w.project_a, user__username="newbie"),
    ),
    Route("settings", "GET", p("annotator-settings"), MANAGERS),
    Route(
        "settings-post",
        "POST",
        p("annotator-settings"),
        MANAGERS,
        ok=(302,),
        data=settings_data,
        check=settings_saved,
    ),
    Route("labels", "GET", p("annotator-labels"), MANAGERS, ok=(302,)),  # to Settings
    Route(
        "labels-post",
        "POST",
        p("annotator-labels"),
        MANAGERS,
        ok=(302,),
        data=lambda w, r: {"action": "add", "name": f"New_{r}"},
        check=label_added,
    ),
    # One workflow step each; starting and submitting are for the task's own annotator only, and
    # to anyone else the view answers 404 (not their task) whatever their role.
    Route(
        "task-start",
        "POST",
        t,
        frozenset({"annotator"}),
        ok=(302,),
        data=lambda w, r: {"action": "start"},
        hidden=MEMBERS_OF_A - {"annotator"},
        check=task_is(Task.State.IN_PROGRESS),
    ),
    Route(
        "task-submit",
        "POST",
        t,
        frozenset({"annotator"}),
        ok=(302,),
        data=lambda w, r: {"action": "submit", "confirm": "1"},
        hidden=MEMBERS_OF_A - {"annotator"},
        setup=task_state(Task.State.IN_PROGRESS),
        check=task_is(Task.State.SUBMITTED),
    ),
    Route(
        "task-approve",
        "POST",
        t,
        REVIEWERS,
        ok=(302,),
        data=lambda w, r: {"action": "approve", "copy_to_gold": "1"},
        setup=task_state(Task.State.SUBMITTED),
        check=task_is(Task.State.APPROVED),
    ),
    Route(
        "task-approval",
        "GET",
        lambda w: reverse("annotator-task-approval", args=[w.task.pk]),
        REVIEWERS,
        setup=task_state(Task.State.SUBMITTED),
    ),
    Route(
        "task-changes",
        "POST",
        t,
        REVIEWERS,
        ok=(302,),
        data=lambda w, r: {"action": "changes", "comment": "tag the city"},
        setup=task_state(Task.State.SUBMITTED),
        check=task_is(Task.State.CHANGES_REQUESTED),
    ),
    Route(
        "task-reassign",
        "POST",
        t,
        MANAGERS,
        ok=(302,),
        data=lambda w, r: {"action": "reassign", "to": w.users["annotator_without_task"].pk},
        check=task_is(Task.State.ASSIGNED, "annotator_without_task"),
    ),
    Route(
        "task-withdraw",
        "POST",
        t,
        MANAGERS,
        ok=(302,),
        data=lambda w, r: {"action": "withdraw"},
        check=task_is(Task.State.WITHDRAWN),
    ),
    Route(
        "document-detail", "GET", d("annotator-document-detail"), SEES_DOC_ONE, hidden=BLIND_HIDDEN
    ),
    Route(
        "document-detail-gold",
        "GET",
        d("annotator-document-detail", "?layer=gold"),
        REVIEWERS,
        hidden=BLIND_HIDDEN | {"annotator"},
    ),
    Route(
        "document-detail-other-layer",
        "GET",
        d("annotator-document-detail", "?layer=annotator+other"),
        REVIEWERS,
        hidden=BLIND_HIDDEN | {"annotator"},
    ),
    Route("document-export", "GET", d("annotator-document-export"), REVIEWERS, hidden=BLIND_HIDDEN),
    Route(
        "document-edit",
        "POST",
        d("annotator-sentence-edit"),
        SEES_DOC_ONE,
        data=edit_data,
        hidden=BLIND_HIDDEN,
        check=edited,
    ),
    Route(
        "document-edit-gold",
        "POST",
        d("annotator-sentence-edit"),
        REVIEWERS,
        data=layer_edit(lambda w: GOLD),
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "document-edit-other-layer",
        "POST",
        d("annotator-sentence-edit"),
        frozenset(),  # an annotator's layer is theirs alone (tests/services/test_layer_rule.py)
        data=layer_edit(lambda w: OTHER_LAYER),
        hidden=BLIND_HIDDEN | {"annotator"},
    ),
    Route(
        "document-undo",
        "POST",
        d("annotator-sentence-undo"),
        SEES_DOC_ONE,
        ok=(200, 204),
        data=lambda w, r: {"layer": own_layer(w, r)},
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "document-redo",
        "POST",
        d("annotator-sentence-redo"),
        SEES_DOC_ONE,
        ok=(204,),
        data=lambda w, r: {"layer": own_layer(w, r)},
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "document-review",
        "POST",
        d("annotator-sentence-review"),
        SEES_DOC_ONE,
        data=lambda w, r: {"layer": own_layer(w, r), "sentence": w.sid(w.doc_one)},
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "suggestion-accept",
        "POST",
        d("annotator-suggestion-accept"),
        REVIEWERS,
        data=lambda w, r: suggestion_data(w),
        hidden=BLIND_HIDDEN,
        setup=add_suggestions,
        check=lambda w, r: SuggestionFeedback.objects.get(accepted=True),
    ),
    Route(
        "suggestion-reject",
        "POST",
        d("annotator-suggestion-reject"),
        REVIEWERS,
        data=lambda w, r: suggestion_data(w),
        hidden=BLIND_HIDDEN,
        setup=add_suggestions,
        check=lambda w, r: SuggestionFeedback.objects.get(accepted=False),
    ),
    Route("document-repair", "GET", d("annotator-document-repair"), REVIEWERS, hidden=BLIND_HIDDEN),
    Route(
        "document-repair-post",
        "POST",
        d("annotator-document-repair"),
        REVIEWERS,
        ok=(302,),
        data=lambda w, r: {"layer": GOLD},
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "document-compare", "GET", d("annotator-document-compare"), REVIEWERS, hidden=BLIND_HIDDEN
    ),
    Route(
        "document-take",
        "POST",
        d("annotator-document-take"),
        REVIEWERS,
        data=take_data,
        hidden=BLIND_HIDDEN,
        check=taken,
    ),
    Route(
        "document-next",
        "GET",
        d("annotator-document-next", "?what=unreviewed&layer=imported"),
        SEES_DOC_ONE,
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "document-next-gold",
        "GET",
        d("annotator-document-next", "?what=unreviewed&layer=gold"),
        REVIEWERS,
        hidden=BLIND_HIDDEN | {"annotator"},
    ),
    Route("sentence-history", "GET", HISTORY, SEES_DOC_ONE, hidden=BLIND_HIDDEN),
    Route(
        "document-take-all",
        "POST",
        d("annotator-document-take-all"),
        REVIEWERS,
        ok=(302,),
        data=lambda w, r: {"left": IMPORTED, "right": GOLD},
        hidden=BLIND_HIDDEN,
        check=taken,
    ),
    Route("project-jobs", "GET", p("annotator-project-jobs"), REVIEWERS),
    Route("likely-errors", "GET", p("annotator-likely-errors"), REVIEWERS),
    # Agreement and adjudication: reviewers; annotators read the report only when it is opened.
    Route("agreement", "GET", p("annotator-agreement"), REVIEWERS),
    Route(
        "agreement-open",
        "GET",
        p("annotator-agreement"),
        MEMBERS_OF_A,
        setup=open_agreement,
    ),
    Route(
        "agreement-post",
        "POST",
        p("annotator-agreement"),
        REVIEWERS,
        ok=(302,),
        data=lambda w, r: AGREEMENT_POST,
        check=lambda w, r: Job.objects.get(kind="agreement"),
    ),
    Route(
        "agreement-post-open",
        "POST",
        p("annotator-agreement"),
        REVIEWERS,
        ok=(302,),
        data=lambda w, r: AGREEMENT_POST,
        setup=open_agreement,
        check=lambda w, r: Job.objects.get(kind="agreement"),
    ),
    Route("agreement-cell", "GET", report_cell, REVIEWERS, setup=with_report),
    Route(
        "agreement-cell-open",
        "GET",
        report_cell,
        REVIEWERS,  # project A is blind: its annotators see the figures, not the sentences
        setup=lambda w: (with_report(w), open_agreement(w)),
    ),
    Route("adjudication-queue", "GET", p("annotator-adjudication-queue"), REVIEWERS),
    Route(
        "adjudication-queue-open",
        "GET",
        p("annotator-adjudication-queue"),
        REVIEWERS,
        setup=open_agreement,
    ),
    Route(
        "majority-vote",
        "POST",
        p("annotator-majority-vote"),
        REVIEWERS,
        ok=(302,),
        data=lambda w, r: {"rule": "majority", "finished_only": "1"},
        check=lambda w, r: Job.objects.get(kind="majority-vote"),
    ),
    Route(
        "document-adjudicate",
        "GET",
        d("annotator-document-adjudicate"),
        REVIEWERS,
        hidden=BLIND_HIDDEN,
        setup=in_dispute,
    ),
    Route(
        "document-decide",
        "POST",
        d("annotator-document-decide"),
        REVIEWERS,
        ok=(302,),
        data=decide_data,
        hidden=BLIND_HIDDEN,
        setup=in_dispute,
        check=decided,
    ),
    Route(
        "document-adjudicate-apply",
        "POST",
        d("annotator-document-adjudicate-apply"),
        REVIEWERS,
        ok=(302,),
        hidden=BLIND_HIDDEN,
        setup=in_dispute,
        # The reviewer labelled "visited" in gold by hand (the world's gold_edit): kept.
        check=lambda w, r: tags_at(w, GOLD)[1] != "O" or pytest.fail("hand edit overwritten"),
    ),
    Route(
        "preannotate",
        "POST",
        p("annotator-preannotate"),
        MANAGERS,
        ok=(302,),
        data=lambda w, r: {"kind": "gazetteer", "source": GOLD},
    ),
    Route(
        "account-token",
        "GET",
        lambda w: reverse("annotator-account-token"),
        frozenset(ROLES) - {"anonymous"},
    ),
    # Site-wide set-up: creating projects needs the create_project right (superusers have it),
    # giving that right needs a superuser. No project is involved, so outsiders get 403 too.
    Route(
        "project-create",
        "POST",
        lambda w: reverse("annotator-project-create"),
        frozenset({"superuser"}),
        ok=(302,),
        data=lambda w, r: {"name": f"New by {r}", "scheme": "iob2", "labels": "A\nB"},
        check=lambda w, r: Project.objects.get(name=f"New by {r}", labels=["A", "B"]),
    ),
    Route(
        "project-creators",
        "POST",
        lambda w: reverse("annotator-project-creators"),
        frozenset({"superuser"}),
        ok=(302,),
        data=lambda w, r: {"username": "bob", "allowed": "1"},
    ),
]
SITE_ROUTES = {"project-create", "project-creators", "api-project-create"}

# --- the API (annotator/api/): the same rules, through the same access code. An anonymous
# client gets 401 instead of a redirect to the login page; bodies are JSON.


def api_p(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.project_a.pk])


def api_s(name: str) -> Callable[[World], str]:
    """A sentence URL: alpha-one's first sentence."""
    return lambda w: reverse(name, args=[w.doc_one.pk, w.sid(w.doc_one)])


def api_t(w: World) -> str:
    return reverse("annotator-api-task-transition", args=[w.task.pk])


def a_job(w: World) -> None:
    w.extra["job"] = jobs.start_job(
        kind="gazetteer", user=w.users["manager"], project=w.project_a, params={}
    )


def api_j(name: str) -> Callable[[World], str]:
    return lambda w: reverse(name, args=[w.extra["job"].pk])


def job_is(state: str) -> Callable[[World, str], None]:
    def check(w: World, role: str) -> None:
        w.extra["job"].refresh_from_db()
        assert w.extra["job"].state == state

    return check


NOT_REVIEWERS = MEMBERS_OF_A - REVIEWERS

API_ROUTES = [
    Route("api-schema", "GET", lambda w: reverse("annotator-api-schema"), frozenset(ROLES)),
    Route("api-docs", "GET", lambda w: reverse("annotator-api-docs"), frozenset(ROLES)),
    Route(
        "api-project-list",
        "GET",
        lambda w: reverse("annotator-api-project-list"),
        MEMBERS_OF_A | {"member_of_b"},  # everybody's own list
    ),
    Route(
        "api-project-create",
        "POST",
        lambda w: reverse("annotator-api-project-list"),
        frozenset({"superuser"}),
        ok=(201,),
        json=True,
        data=lambda w, r: {"name": f"API by {r}", "labels": ["A"]},
        check=lambda w, r: Project.objects.get(name=f"API by {r}", labels=["A"]),
    ),
    Route("api-project-detail", "GET", api_p("annotator-api-project-detail"), MEMBERS_OF_A),
    Route(
        "api-project-detail-patch",
        "PATCH",
        api_p("annotator-api-project-detail"),
        MANAGERS,
        data=lambda w, r: {"agreement_open": True},
        check=lambda w, r: (
            Project.objects.get(pk=w.project_a.pk).agreement_open
            or pytest.fail("setting not saved")
        ),
        json=True,
    ),
    Route("api-project-members", "GET", api_p("annotator-api-project-members"), MANAGERS),
    Route(
        "api-project-members-add",
        "POST",
        api_p("annotator-api-project-members"),
        MANAGERS,
        ok=(201,),
        data=lambda w, r: {"username": "newbie", "password": "pw-new-1234", "roles": ["reviewer"]},
        check=lambda w, r: Membership.objects.get(project=w.project_a, user__username="newbie"),
        json=True,
    ),
    Route("api-document-list", "GET", api_p("annotator-api-document-list"), MEMBERS_OF_A),
    Route(
        "api-document-list-upload",
        "POST",
        api_p("annotator-api-document-list"),
        MANAGERS,
        ok=(201,),
        data=upload_data,
        check=lambda w, r: w.project_a.documents.get(name="alpha-three.conll"),
    ),
    Route("api-project-conll", "GET", api_p("annotator-api-project-conll"), MANAGERS),
    Route("api-project-export", "GET", api_p("annotator-api-project-export"), MANAGERS),
    Route(
        "api-project-export-job",
        "POST",
        api_p("annotator-api-project-export"),
        MANAGERS,
        ok=(202,),
        check=lambda w, r: Job.objects.get(kind="export", project=w.project_a),
        json=True,
    ),
    Route(
        "api-document-export",
        "GET",
        d("annotator-api-document-export"),
        REVIEWERS,
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "api-document-detail",
        "GET",
        d("annotator-api-document-detail"),
        SEES_DOC_ONE,
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "api-document-conll",
        "GET",
        d("annotator-api-document-conll"),
        REVIEWERS,
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "api-document-jsonl",
        "GET",
        d("annotator-api-document-jsonl"),
        REVIEWERS,
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "api-sentence-list",
        "GET",
        d("annotator-api-sentence-list"),
        SEES_DOC_ONE,
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "api-sentence-list-gold",
        "GET",
        d("annotator-api-sentence-list", "?layer=gold"),
        REVIEWERS,
        hidden=BLIND_HIDDEN | {"annotator"},
    ),
    Route(
        "api-sentence-detail",
        "GET",
        api_s("annotator-api-sentence-detail"),
        SEES_DOC_ONE,
        hidden=BLIND_HIDDEN,
    ),
    Route(
        "api-sentence-edit",
        "POST",
        api_s("annotator-api-sentence-edit"),
        SEES_DOC_ONE,
        data=edit_data,
        hidden=BLIND_HIDDEN,
        check=edited,
        json=True,
    ),
    Route(
        "api-sentence-edit-gold",
        "POST",
        api_s("annotator-api-sentence-edit"),
        REVIEWERS,
        data=layer_edit(lambda w: GOLD),
        hidden=BLIND_HIDDEN,
        json=True,
    ),
    Route(
        "api-sentence-edit-other-layer",
        "POST",
        api_s("annotator-api-sentence-edit"),
        frozenset(),  # an annotator's layer is theirs alone (tests/services/test_layer_rule.py)
        data=layer_edit(lambda w: OTHER_LAYER),
        hidden=BLIND_HIDDEN | {"annotator"},
        json=True,
    ),
    Route(
        "api-sentence-review",
        "POST",
        api_s("annotator-api-sentence-review"),
        SEES_DOC_ONE,
        data=lambda w, r: {"layer": own_layer(w, r)},
        hidden=BLIND_HIDDEN,
        json=True,
    ),
    Route("api-task-list", "GET", api_p("annotator-api-task-list"), ANNOTATING),
    Route(
        "api-task-list-assign",
        "POST",
        api_p("annotator-api-task-list"),
        MANAGERS,
        ok=(201,),
        data=lambda w, r: {"mode": "auto", "documents": [w.doc_two.pk], "start_layer": IMPORTED},
        check=lambda w, r: Task.objects.get(document=w.doc_two),
        json=True,
    ),
    Route(
        "api-task-detail",
        "GET",
        lambda w: reverse("annotator-api-task-detail", args=[w.task.pk]),
        REVIEWERS | {"annotator"},
        hidden=frozenset({"annotator_without_task"}),
    ),
    Route(
        "api-task-transition-start",
        "POST",
        api_t,
        frozenset({"annotator"}),
        data=lambda w, r: {"action": "start"},
        hidden=MEMBERS_OF_A - {"annotator"},
        check=task_is(Task.State.IN_PROGRESS),
        json=True,
    ),
    Route(
        "api-task-transition-submit",
        "POST",
        api_t,
        frozenset({"annotator"}),
        data=lambda w, r: {"action": "submit"},
        hidden=MEMBERS_OF_A - {"annotator"},
        setup=task_state(Task.State.IN_PROGRESS),
        check=task_is(Task.State.SUBMITTED),
        json=True,
    ),
    Route(
        "api-task-transition-approve",
        "POST",
        api_t,
        REVIEWERS,
        data=lambda w, r: {"action": "approve", "copy_to_gold": True},
        setup=task_state(Task.State.SUBMITTED),
        check=task_is(Task.State.APPROVED),
        json=True,
    ),
    Route(
        "api-task-approval",
        "GET",
        lambda w: reverse("annotator-api-task-approval", args=[w.task.pk]),
        REVIEWERS,
        setup=task_state(Task.State.SUBMITTED),
    ),
    Route(
        "api-task-transition-changes",
        "POST",
        api_t,
        REVIEWERS,
        data=lambda w, r: {"action": "changes", "comment": "tag the city"},
        setup=task_state(Task.State.SUBMITTED),
        check=task_is(Task.State.CHANGES_REQUESTED),
        json=True,
    ),
    Route(
        "api-task-transition-reassign",
        "POST",
        api_t,
        MANAGERS,
        data=lambda w, r: {"action": "reassign", "to": w.users["annotator_without_task"].pk},
        check=task_is(Task.State.ASSIGNED, "annotator_without_task"),
        json=True,
    ),
    Route(
        "api-task-transition-withdraw",
        "POST",
        api_t,
        MANAGERS,
        data=lambda w, r: {"action": "withdraw"},
        check=task_is(Task.State.WITHDRAWN),
        json=True,
    ),
    Route("api-job-list", "GET", api_p("annotator-api-job-list"), REVIEWERS),
    Route(
        "api-job-list-start",
        "POST",
        api_p("annotator-api-job-list"),
        MANAGERS,
        ok=(202,),
        data=lambda w, r: {"kind": "gazetteer", "source": GOLD},
        json=True,
    ),
    # A job of the manager's: reviewers see it, annotators do not (it is not theirs).
    Route(
        "api-job-detail",
        "GET",
        api_j("annotator-api-job-detail"),
        REVIEWERS,
        hidden=NOT_REVIEWERS,
        setup=a_job,
    ),
    Route(
        "api-job-cancel",
        "POST",
        api_j("annotator-api-job-cancel"),
        REVIEWERS,
        hidden=NOT_REVIEWERS,
        setup=a_job,
        check=job_is("cancelled"),
        json=True,
    ),
    Route("api-model-list", "GET", api_p("annotator-api-model-list"), REVIEWERS),
    Route(
        "api-model-list-register",
        "POST",
        api_p("annotator-api-model-list"),
        MANAGERS,
        ok=(201,),
        data=lambda w, r: {"kind": "remote", "name": "r", "url": "http://127.0.0.1:9/"},
        check=lambda w, r: w.project_a.models.get(name="r"),
        json=True,
    ),
    Route("api-agreement-list", "GET", api_p("annotator-api-agreement-list"), REVIEWERS),
    Route(
        "api-agreement-list-open",
        "GET",
        api_p("annotator-api-agreement-list"),
        MEMBERS_OF_A,
        setup=open_agreement,
    ),
    Route(
        "api-agreement-list-start",
        "POST",
        api_p("annotator-api-agreement-list"),
        REVIEWERS,
        ok=(202,),
        data=lambda w, r: {"layers": ["annotator ann", OTHER_LAYER], "gold": GOLD},
        check=lambda w, r: Job.objects.get(kind="agreement", project=w.project_a),
        json=True,
    ),
    Route(
        "api-agreement-detail",
        "GET",
        lambda w: reverse("annotator-api-agreement-detail", args=[w.extra["report"].pk]),
        REVIEWERS,
        setup=with_report,
    ),
    Route(
        "api-majority-vote",
        "POST",
        api_p("annotator-api-majority-vote"),
        REVIEWERS,
        ok=(202,),
        data=lambda w, r: {"rule": "majority"},
        check=lambda w, r: Job.objects.get(kind="majority-vote", project=w.project_a),
        json=True,
    ),
]
ROUTES += API_ROUTES

# Views reached through other tests' objects (a job's own pages are in tests/services/test_jobs.py).
COVERED_ELSEWHERE = {
    "annotator-job-progress",
    "annotator-job-cancel",
    "annotator-job-download",  # tests/services/test_exports.py: managers of the project only
    "annotator-api-job-download",  # tests/api/test_export_job.py: the same rule
    "home",
    # Model registration: tests/services/test_remote.py and tests/services/test_spacy.py check
    # who may add one.
    "annotator-model-register",
    # Any unknown path under /api/: JSON 404 for everyone, tests/api/test_not_found.py.
    "annotator-api-not-found",
}


def test_every_url_of_the_app_is_in_the_matrix() -> None:
    from django.urls import URLResolver, get_resolver

    def walk(patterns):  # included URL modules (the API) too
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            else:
                yield pattern

    names = {
        pattern.name
        for pattern in walk(get_resolver().url_patterns)
        if getattr(pattern, "name", None) and pattern.name.startswith(("annotator-", "home"))
    }
    # Route ids name the URL without its "annotator-" prefix, some by another word.
    aliases = {
        "annotator-sentence-edit": "document-edit",
        "annotator-sentence-undo": "document-undo",
        "annotator-sentence-redo": "document-redo",
        "annotator-sentence-review": "document-review",
        "annotator-task-action": "task-",
    }
    ids = [r.id for r in ROUTES]
    tested = {
        name
        for name in names
        if any(aliases.get(name, name.removeprefix("annotator-")) in i for i in ids)
    }
    missing = names - tested - COVERED_ELSEWHERE
    assert not missing, f"URLs with no row in the access matrix: {sorted(missing)}"


def expected(route: Route, role: str) -> str:
    if role in route.allowed:  # only a public route allows anonymous users and outsiders
        return "ok"
    if role == "anonymous":
        return "401" if route.id.startswith("api-") else "login"
    if role == "member_of_b":
        return "403" if route.id in SITE_ROUTES else "404"
    if role in route.hidden:
        return "404"
    return "403"


CASES = [
    pytest.param(route, role, id=f"{route.id}-{role}")
    for route in ROUTES
    for role in ROLES
    # The project list is everybody's own list: tested on its own below.
    if not (route.id == "project-list" and role == "member_of_b")
]


def request(client: Client, route: Route, world: World, role: str):
    url = route.url(world)
    if route.method == "GET":
        return client.get(url)
    if route.json:
        send = client.patch if route.method == "PATCH" else client.post
        return send(url, route.data(world, role), content_type="application/json")
    return client.post(url, route.data(world, role))


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def assert_no_secrets(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked into a refused response"


@pytest.mark.parametrize(("route", "role"), CASES)
def test_access(world, route: Route, role: str) -> None:
    if route.setup:
        route.setup(world)
    client = client_for(world, role)
    want = expected(route, role)
    before = fingerprint()

    response = request(client, route, world, role)
    text = body(response)

    if want == "ok":
        assert response.status_code in route.ok, (response.status_code, text[:500])
        if route.check:
            route.check(world, role)
        if role == "annotator":  # what a blind annotator gets never shows the hidden document
            assert_no_secrets(text, SECRET_TWO, SECRET_B)
        return
    if want == "login":
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next="), response.url
    else:
        assert response.status_code == int(want), (response.status_code, text[:500])
    assert_no_secrets(text, SECRET_ONE, SECRET_TWO, SECRET_B, "alpha-one", "alpha-two")
    assert fingerprint() == before, "a refused request changed something"


# --- beyond the table ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_home_redirects_to_the_project_list(world, role) -> None:
    response = client_for(world, role).get("/")
    assert response.status_code == 302
    assert response.url == reverse("annotator-project-list")


def test_the_project_list_shows_only_ones_own_projects(world) -> None:
    text = body(client_for(world, "member_of_b").get(reverse("annotator-project-list")))
    assert "Beta project" in text and "Alpha project" not in text
    text = body(client_for(world, "annotator").get(reverse("annotator-project-list")))
    assert "Alpha project" in text and "Beta project" not in text
    text = body(client_for(world, "superuser").get(reverse("annotator-project-list")))
    assert "Alpha project" in text and "Beta project" in text


DOCUMENT_ROUTES = [r for r in ROUTES if r.id.startswith(("document-", "sentence-"))]


@pytest.mark.parametrize("role", ["annotator", "annotator_without_task"])
@pytest.mark.parametrize("route", DOCUMENT_ROUTES, ids=[r.id for r in DOCUMENT_ROUTES])
def test_a_document_without_a_task_does_not_exist_for_a_blind_annotator(world, route, role):
    """The same requests aimed at alpha-two (no tasks): 404, never its tokens."""
    client = client_for(world, role)
    swap = world.doc_one
    world.doc_one = world.doc_two
    try:
        url = route.url(world)
        data = {}
        if route.method == "POST":
            data = {"layer": GOLD, "sentence": world.sid(world.doc_two), "version": 1}
            data.update(op="label", start=0, end=1, label="PER", left=IMPORTED, right=GOLD)
            data.update(source=IMPORTED)
    finally:
        world.doc_one = swap
    before = fingerprint()
    response = client.get(url) if route.method == "GET" else client.post(url, data)
    assert response.status_code == 404
    assert_no_secrets(body(response), SECRET_TWO, "alpha-two")
    assert fingerprint() == before


def layer_options(text: str) -> list[str]:
    import re

    return re.findall(r'<option value="([^"]*)"', text)


def test_the_blind_annotators_document_page_shows_only_their_layer_and_the_start_layer(world):
    client = client_for(world, "annotator")
    text = body(client.get(reverse("annotator-document-detail", args=[world.doc_one.pk])))
    assert layer_options(text) == [IMPORTED, "annotator ann"]
    assert GOLD not in layer_options(text)
    assert OTHER_LAYER not in text
    assert SECRET_ONE in text  # their own document, shown
    # Their own layer is the default.
    assert 'data-layer="annotator ann"' in text
    project = body(client.get(reverse("annotator-project-detail", args=[world.project_a.pk])))
    assert "alpha-one.conll" in project and "alpha-two.conll" not in project


def test_the_blind_annotators_history_leaves_out_gold_changes(world):
    text = body(client_for(world, "annotator").get(HISTORY(world)))
    assert "No changes yet." in text and " in gold" not in text
    text = body(client_for(world, "reviewer").get(HISTORY(world)))
    assert " in gold" in text


def test_without_blind_annotators_see_every_document_and_layer(world):
    Project.objects.filter(pk=world.project_a.pk).update(blind=False)
    for role in ("annotator", "annotator_without_task"):
        client = client_for(world, role)
        page = client.get(reverse("annotator-document-detail", args=[world.doc_one.pk]))
        assert page.status_code == 200
        assert {IMPORTED, GOLD, "annotator ann", OTHER_LAYER} <= set(layer_options(body(page)))
        gold = client.get(
            reverse("annotator-document-detail", args=[world.doc_one.pk]), {"layer": GOLD}
        )
        assert gold.status_code == 200
        other = client.get(
            reverse("annotator-document-detail", args=[world.doc_one.pk]), {"layer": OTHER_LAYER}
        )
        assert other.status_code == 200
        two = client.get(reverse("annotator-document-detail", args=[world.doc_two.pk]))
        assert two.status_code == 200 and SECRET_TWO in body(two)
        project = body(client.get(reverse("annotator-project-detail", args=[world.project_a.pk])))
        assert "alpha-two.conll" in project
        # Seeing is not editing: gold and the other annotator's layer stay theirs.
        before = fingerprint()
        assert (
            client.post(
                reverse("annotator-sentence-edit", args=[world.doc_one.pk]),
                layer_edit(lambda w: GOLD)(world, role),
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("annotator-sentence-edit", args=[world.doc_one.pk]),
                layer_edit(lambda w: OTHER_LAYER)(world, role),
            ).status_code
            == 403
        )
        assert fingerprint() == before


def test_an_annotator_edits_only_inside_their_open_task(world):
    client = client_for(world, "annotator")
    Task.objects.filter(pk=world.task.pk).update(state=Task.State.SUBMITTED)
    before = fingerprint()
    response = client.post(
        reverse("annotator-sentence-edit", args=[world.doc_one.pk]), edit_data(world, "annotator")
    )
    assert response.status_code == 403
    assert fingerprint() == before


def test_an_annotator_cannot_act_on_another_annotators_task(world):
    client = client_for(world, "annotator")
    url = reverse("annotator-task-action", args=[world.other_task.pk])
    before = fingerprint()
    for action in ("start", "submit"):
        assert client.post(url, {"action": action}).status_code == 404
    assert fingerprint() == before


# --- ids from another project --------------------------------------------------------------------


def test_a_member_of_b_mixing_in_ids_of_a_gets_no_data_of_a(world):
    """Bob may use his own project's URLs; ids of A's objects in them give 404 or nothing."""
    client = client_for(world, "member_of_b")
    sid_a = world.sid(world.doc_one)
    before = fingerprint()

    search_url = reverse("annotator-project-search", args=[world.project_b.pk])
    response = client.get(search_url, {"q": SECRET_ONE, "document": world.doc_one.pk})
    assert response.status_code == 404
    response = client.get(search_url, {"q": "visited"})  # a word of alpha-one only
    assert response.status_code == 200
    assert_no_secrets(body(response), SECRET_ONE, "Paris")

    relabel = reverse("annotator-project-relabel", args=[world.project_b.pk])
    response = client.post(
        relabel, {"q": SECRET_ONE, "tagging": "B-PER", "document": world.doc_one.pk}
    )
    assert response.status_code == 404

    history = reverse("annotator-sentence-history", args=[world.doc_b.pk, sid_a])
    response = client.get(history)
    assert response.status_code in (200, 404)
    assert "No changes yet." in body(response) or response.status_code == 404
    assert "rex" not in body(response)

    for name in ("annotator-sentence-edit", "annotator-sentence-review"):
        response = client.post(
            reverse(name, args=[world.doc_b.pk]),
            {
                "layer": GOLD,
                "sentence": sid_a,
                "version": 1,
                "op": "label",
                "start": 0,
                "end": 1,
                "label": "PER",
            },
        )
        assert response.status_code in (404, 422), (name, response.status_code)
        assert_no_secrets(body(response), SECRET_ONE, "Paris")

    take = reverse("annotator-document-take", args=[world.doc_b.pk])
    response = client.post(
        take,
        {
            "left": IMPORTED,
            "right": GOLD,
            "source": IMPORTED,
            "sentence": sid_a,
            "start": 0,
            "end": 1,
        },
    )
    assert response.status_code in (404, 422)
    assert_no_secrets(body(response), SECRET_ONE, "Paris")

    next_url = reverse("annotator-document-next", args=[world.doc_b.pk])
    response = client.get(next_url, {"layer": world.task.layer.name})
    assert response.status_code == 404

    compare = reverse("annotator-document-compare", args=[world.doc_b.pk])
    response = client.get(compare, {"left": IMPORTED, "right": world.task.layer.name})
    assert response.status_code == 404

    export = reverse("annotator-document-export", args=[world.doc_b.pk])
    response = client.get(export, {"layer": world.task.layer.name})
    assert response.status_code == 404

    assert fingerprint() == before
