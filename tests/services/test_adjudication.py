"""Adjudication: agreed spans into gold by vote, disputes settled one by one, the majority-vote
job, the gold export, and who may reach the agreement and adjudication pages.

One small document annotated by three annotators, built so that each kind of vote occurs:

    sentence 0  Alice met Bob in Paris with Carol .
                Alice: PER for all three                    (a) everyone agrees
                Bob:   PER, PER, ORG                        (b) a 2-1 majority
                Paris: LOC, ORG, MISC                       (c) a 1-1-1 tie
                Carol: PER for ann1 only (and imported)     (d) one annotator's span
    sentence 1  Visit <script>x</script> now .              a tie on a token that is markup:
                ORG, LOC, nothing                           ann1, ann2, ann3
    sentence 2  Nothing to see .                            all O everywhere
    sentence 3  Grace Hopper wrote COBOL .                  Grace Hopper ORG (ann1); Grace PER +
                                                            Hopper LOC (ann2); Grace PER (ann3)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
    TagChange,
    TagLayer,
    Task,
)
from annotator.nlp.agreement import agreement_report
from annotator.nlp.scheme import Span
from annotator.services import adjudication, assignment, editing, jobs, workflow
from tests.factories import make_document, make_project

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_cache")]

State = Task.State
ANN = ("ann1", "ann2", "ann3")
LAYERS = [f"annotator {name}" for name in ANN]
SCRIPT = "<script>x</script>"

# (tokens, imported, ann1, ann2, ann3) per sentence.
SENTENCES = [
    (
        ["Alice", "met", "Bob", "in", "Paris", "with", "Carol", "."],
        ["B-PER", "O", "O", "O", "O", "O", "B-PER", "O"],
        ["B-PER", "O", "B-PER", "O", "B-LOC", "O", "B-PER", "O"],
        ["B-PER", "O", "B-PER", "O", "B-ORG", "O", "O", "O"],
        ["B-PER", "O", "B-ORG", "O", "B-MISC", "O", "O", "O"],
    ),
    (
        ["Visit", SCRIPT, "now", "."],
        ["O", "B-MISC", "O", "O"],
        ["O", "B-ORG", "O", "O"],
        ["O", "B-LOC", "O", "O"],
        ["O", "O", "O", "O"],
    ),
    (["Nothing", "to", "see", "."], *[["O"] * 4] * 4),
    (
        ["Grace", "Hopper", "wrote", "COBOL", "."],
        ["O"] * 5,
        ["B-ORG", "I-ORG", "O", "O", "O"],
        ["B-PER", "B-LOC", "O", "O", "O"],
        ["B-PER", "O", "O", "O", "O"],
    ),
]
# What gold holds after the agreed spans are taken, per rule.
MAJORITY_GOLD = [
    ["B-PER", "O", "B-PER", "O", "O", "O", "O", "O"],
    ["O", "O", "O", "O"],
    ["O"] * 4,
    ["B-PER", "O", "O", "O", "O"],
]
ALL_GOLD = [["B-PER", "O", "O", "O", "O", "O", "O", "O"], ["O"] * 4, ["O"] * 4, ["O"] * 5]


@pytest.fixture
def queued(monkeypatch):
    """Job ids the views queued for a worker; nothing reaches a broker."""
    from annotator import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", sent.append)
    return sent


# --- the document ----------------------------------------------------------------------------


@dataclass
class Setup:
    project: Project
    document: Document
    manager: object
    reviewer: object
    annotators: dict
    outsider: object

    def sid(self, position: int) -> int:
        return self.document.sentences.get(position=position).pk

    def client(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def gold(self) -> list[list[str]]:
        rows = SentenceTags.objects.filter(layer__document=self.document, layer__name=GOLD)
        return [tags for _, tags in sorted(rows.values_list("sentence__position", "tags"))]

    def gold_version(self, position: int) -> int:
        return SentenceTags.objects.get(
            layer__document=self.document, layer__name=GOLD, sentence__position=position
        ).version


def imported_sentences() -> list[list[tuple[str, str]]]:
    return [list(zip(tokens, imported, strict=True)) for tokens, imported, *_ in SENTENCES]


def build(tmp_path: Path, *, submit: tuple[str, ...] = ANN) -> Setup:
    project = make_project("Adjudication corpus", labels=["PER", "LOC", "ORG", "MISC"])
    make_document(project, imported_sentences(), name="three-readers.conll")
    User = get_user_model()
    manager = User.objects.create_user("manny", password="pw-manny-123")
    reviewer = User.objects.create_user("rex", password="pw-rex-1234")
    outsider = User.objects.create_user("olaf", password="pw-olaf-123")
    Membership.objects.create(project=project, user=manager, role=Membership.Role.MANAGER)
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    annotators = {}
    for name in ANN:
        annotators[name] = User.objects.create_user(name, password="pw-ann-1234")
        Membership.objects.create(
            project=project, user=annotators[name], role=Membership.Role.ANNOTATOR
        )
    document = project.documents.get()
    tasks = assignment.assign(
        manager=manager,
        project=project,
        documents=[document],
        annotators=list(annotators.values()),
        start_layer=IMPORTED,
    )
    for column, name in enumerate(ANN, start=2):
        layer = TagLayer.objects.get(document=document, name=f"annotator {name}")
        for position, sentence in enumerate(SENTENCES):
            row = SentenceTags.objects.get(layer=layer, sentence__position=position)
            editing.replace_tags(
                user=annotators[name],
                layer=layer,
                sentence_id=row.sentence_id,
                version=row.version,
                tags=sentence[column],
                action="annotate",
            )
    for task in tasks:
        if task.annotator.username in submit:
            for to in (State.IN_PROGRESS, State.SUBMITTED):
                workflow.transition(user=task.annotator, task_id=task.pk, to=to, as_reviewer=False)
    return Setup(project, document, manager, reviewer, annotators, outsider)


@pytest.fixture
def setup(tmp_path) -> Setup:
    return build(tmp_path)


def item_at(setup: Setup, position: int, **options) -> adjudication.Item:
    items = adjudication.load_items(setup.document, **options)
    return next(item for item in items if item.position == position)


def page(setup: Setup, user=None, **query) -> str:
    client = setup.client(user or setup.reviewer)
    response = client.get(reverse("annotator-document-adjudicate", args=[setup.document.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


def decide(setup: Setup, position: int, start: int, end: int, choice: str, **extra):
    data = {
        "sentence": setup.sid(position),
        "start": start,
        "end": end,
        "choice": choice,
        "version": setup.gold_version(position),
        **extra,
    }
    return setup.client(setup.reviewer).post(
        reverse("annotator-document-decide", args=[setup.document.pk]),
        data,
        headers={"HX-Request": "true"},
    )


def readings_of(dispute) -> list[tuple[list[tuple[int, int, str]], list[str]]]:
    return [
        ([(s.start, s.end, s.label) for s in reading.spans], list(reading.voters))
        for reading in dispute.readings
    ]


def buttons(html: str) -> list[str]:
    """The reading buttons' text, tags stripped, spaces collapsed."""
    pattern = r'<button type="submit" name="choice" value="reading-\d+">(.*?)</button>'
    found = re.findall(pattern, html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", b)).split()) for b in found]


# --- voting and apply_agreed -----------------------------------------------------------------


def test_the_vote_accepts_agreed_and_majority_spans_rejects_a_lone_span_and_leaves_the_tie(setup):
    item = item_at(setup, 0, rule="majority")
    assert list(item.readings) == LAYERS
    assert item.vote.accepted == (Span(0, 1, "PER"), Span(2, 3, "PER"))
    assert set(item.vote.rejected) == {
        (Span(2, 3, "ORG"), ("annotator ann3",)),
        (Span(6, 7, "PER"), ("annotator ann1",)),
    }
    [dispute] = item.vote.disputes
    assert (dispute.start, dispute.end) == (4, 5)
    assert readings_of(dispute) == [
        ([(4, 5, "LOC")], ["annotator ann1"]),
        ([(4, 5, "ORG")], ["annotator ann2"]),
        ([(4, 5, "MISC")], ["annotator ann3"]),
    ]


def test_apply_agreed_by_majority_writes_a_and_b_rejects_d_and_leaves_the_tie_open(setup):
    changed, ties = adjudication.apply_agreed(
        user=setup.reviewer, document=setup.document, rule="majority"
    )
    assert setup.gold() == MAJORITY_GOLD
    assert changed == 3  # sentence 2 already agreed with gold
    assert sorted((item.position, d.start, d.end) for item, d in ties) == [
        (0, 4, 5),
        (1, 1, 2),
        (3, 0, 2),
    ]
    changes = TagChange.objects.filter(layer__name=GOLD, layer__document=setup.document)
    assert changes.count() == 3
    assert set(changes.values_list("action", "user__username", "state")) == {
        ("adjudicate: agreed spans (majority)", "rex", TagChange.State.LOG)
    }
    assert not Decision.objects.exists()  # agreed spans need no decision


def test_apply_agreed_with_rule_all_takes_only_the_spans_everyone_has(setup):
    changed, ties = adjudication.apply_agreed(
        user=setup.reviewer, document=setup.document, rule="all"
    )
    assert setup.gold() == ALL_GOLD
    # Bob (2 of 3), Paris, Carol (1 of 3), the markup token and Grace Hopper stay open.
    assert sorted((item.position, d.start, d.end) for item, d in ties) == [
        (0, 2, 3),
        (0, 4, 5),
        (0, 6, 7),
        (1, 1, 2),
        (3, 0, 2),
    ]


def test_the_projects_rule_applies_when_none_is_given(setup):
    Project.objects.filter(pk=setup.project.pk).update(adjudication_rule="all")
    setup.document.refresh_from_db()
    adjudication.apply_agreed(user=setup.reviewer, document=setup.document)
    assert setup.gold() == ALL_GOLD


def test_apply_agreed_twice_changes_nothing_the_second_time(setup):
    adjudication.apply_agreed(user=setup.reviewer, document=setup.document, rule="majority")
    before = TagChange.objects.count()
    changed, _ = adjudication.apply_agreed(
        user=setup.reviewer, document=setup.document, rule="majority"
    )
    assert changed == 0 and TagChange.objects.count() == before


def test_putting_agreed_spans_into_gold_keeps_a_reviewers_hand_edits(setup):
    gold = editing.ensure_working_layer(setup.document, GOLD)
    editing.edit_sentence(
        user=setup.reviewer,
        layer=gold,
        sentence_id=setup.sid(3),
        version=None,
        operation="label",
        start=3,
        end=4,
        label="MISC",
    )
    by_hand = setup.gold()[3]

    changed, ties = adjudication.apply_agreed(
        user=setup.reviewer, document=setup.document, rule="majority"
    )

    assert setup.gold()[3] == by_hand  # "COBOL" stays MISC, Grace Hopper is not voted over it
    assert setup.gold()[0] == MAJORITY_GOLD[0]
    assert any(item.position == 3 for item, _ in ties)  # its dispute is still listed


def test_unsubmitted_work_is_left_out_unless_asked_for(tmp_path):
    setup = build(tmp_path, submit=("ann1", "ann2"))
    item = item_at(setup, 0)
    assert list(item.readings) == ["annotator ann1", "annotator ann2"]
    shown = buttons(page(setup))
    assert "Paris LOC (ann1)" in shown and "Paris ORG (ann2)" in shown
    assert "Paris MISC (ann3)" not in shown
    shown = buttons(page(setup, all="1"))
    assert "Paris MISC (ann3)" in shown


# --- the document page -----------------------------------------------------------------------


def test_the_page_lists_every_open_dispute_with_each_reading_and_its_voters(setup):
    html = page(setup)
    assert "4 sentences annotated by annotator ann1, annotator ann2, annotator ann3" in html
    assert "<strong>3 open</strong>, 0 decided" in html
    assert buttons(html) == [
        "Paris LOC (ann1)",
        "Paris ORG (ann2)",
        "Paris MISC (ann3)",
        f"{SCRIPT} ORG (ann1)",
        f"{SCRIPT} LOC (ann2)",
        "nothing (ann3)",
        "Grace Hopper ORG (ann1)",
        "Grace PER + Hopper LOC (ann2)",
        "Grace PER (ann3)",
    ]
    # The agreed sentence has nothing to settle and is not shown.
    assert f'id="adjudicate-{setup.sid(2)}"' not in html
    for position in (0, 1, 3):
        assert f'id="adjudicate-{setup.sid(position)}"' in html
    # Gold does not exist yet: the page shows the vote's proposal.
    assert "proposed (gold does not exist yet)" in html


def test_token_text_is_escaped_everywhere_on_the_page(setup):
    html = page(setup)
    assert SCRIPT not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "“&lt;script&gt;x&lt;/script&gt;”" in html  # the dispute's text


def test_taking_a_reading_writes_gold_records_the_decision_and_the_history(setup):
    adjudication.apply_agreed(user=setup.reviewer, document=setup.document, rule="majority")
    response = decide(setup, 0, 4, 5, "reading-0")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(
        f'<article class="sentence adjudicated" id="adjudicate-{setup.sid(0)}"'
    )
    assert "<html" not in html  # the partial alone, for the htmx swap
    assert 'class="dispute decided"' in html
    assert "<strong>decided</strong> by rex: LOC" in html
    assert setup.gold()[0] == ["B-PER", "O", "B-PER", "O", "B-LOC", "O", "O", "O"]
    decision = Decision.objects.get()
    assert (decision.layer.name, decision.sentence_id, decision.start, decision.end) == (
        GOLD,
        setup.sid(0),
        4,
        5,
    )
    assert decision.chosen == [[4, 5, "LOC"]]
    assert decision.voters == ["annotator ann1"]
    assert decision.user == setup.reviewer
    assert sorted(decision.rejected) == [
        [4, 5, "MISC", ["annotator ann3"]],
        [4, 5, "ORG", ["annotator ann2"]],
    ]
    change = TagChange.objects.filter(layer__name=GOLD, sentence_id=setup.sid(0)).last()
    assert change.action == "adjudicate: took annotator ann1 at tokens 5-5"
    assert change.user == setup.reviewer
    assert change.new_tags[4] == "B-LOC" and change.old_tags[4] == "O"
    assert "<strong>2 open</strong>, 1 decided" in page(setup)


def test_rejecting_every_span_records_what_was_rejected_and_by_whom(setup):
    editing.ensure_working_layer(setup.document, GOLD)
    assert setup.gold()[1] == ["O", "B-MISC", "O", "O"]  # as imported
    response = decide(setup, 1, 1, 2, "nothing")
    assert response.status_code == 200
    assert "decided</strong> by rex: nothing" in response.content.decode()
    assert setup.gold()[1] == ["O", "O", "O", "O"]
    decision = Decision.objects.get()
    assert decision.chosen == [] and decision.voters == []
    assert sorted(decision.rejected) == [
        [1, 2, "LOC", ["annotator ann2"]],
        [1, 2, "ORG", ["annotator ann1"]],
    ]
    change = TagChange.objects.filter(layer__name=GOLD, sentence_id=setup.sid(1)).get()
    assert change.action == "adjudicate: nothing at tokens 2-2"
    assert (change.old_tags[1], change.new_tags[1]) == ("B-MISC", "O")


def test_keeping_gold_as_edited_by_hand_records_that_as_the_decision(setup):
    gold = editing.ensure_working_layer(setup.document, GOLD)
    gold.document = setup.document
    editing.edit_sentence(
        user=setup.reviewer,
        layer=gold,
        sentence_id=setup.sid(0),
        version=setup.gold_version(0),
        operation="label",
        start=4,
        end=5,
        label="LOC",
    )
    response = decide(setup, 0, 4, 5, "keep")
    assert response.status_code == 200
    decision = Decision.objects.get()
    assert decision.chosen == [[4, 5, "LOC"]] and decision.voters == []
    # ann1 read it as gold has it: only the other two readings were turned down.
    assert sorted(decision.rejected) == [
        [4, 5, "MISC", ["annotator ann3"]],
        [4, 5, "ORG", ["annotator ann2"]],
    ]
    assert setup.gold()[0][4] == "B-LOC"


def test_a_stale_version_gives_409_and_writes_nothing(setup):
    editing.ensure_working_layer(setup.document, GOLD)
    stale = setup.gold_version(0)
    gold_before = setup.gold()
    adjudication.apply_agreed(user=setup.reviewer, document=setup.document, rule="majority")
    gold_after_apply = setup.gold()
    assert gold_after_apply != gold_before
    changes = TagChange.objects.count()
    response = decide(setup, 0, 4, 5, "reading-1", version=stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by rex since you loaded it" in html
    assert f'name="version" value="{setup.gold_version(0)}"' in html  # the current one
    assert setup.gold() == gold_after_apply
    assert not Decision.objects.exists()
    assert TagChange.objects.count() == changes


def test_an_unknown_choice_or_a_settled_region_is_refused_and_writes_nothing(setup):
    editing.ensure_working_layer(setup.document, GOLD)
    for position, start, end, choice in [
        (0, 4, 5, "reading-7"),
        (0, 4, 5, "everything"),
        (0, 0, 1, "reading-0"),  # Alice: agreed, no dispute there
    ]:
        response = decide(setup, position, start, end, choice)
        assert response.status_code == 422, choice
    assert not Decision.objects.exists()
    assert not TagChange.objects.filter(layer__name=GOLD).exists()


def test_without_htmx_a_decision_redirects_back_to_the_page(setup):
    response = setup.client(setup.reviewer).post(
        reverse("annotator-document-decide", args=[setup.document.pk]),
        {"sentence": setup.sid(0), "start": 4, "end": 5, "choice": "reading-2"},
    )
    assert response.status_code == 302
    assert response.url.startswith(
        reverse("annotator-document-adjudicate", args=[setup.document.pk])
    )
    assert setup.gold()[0][4] == "B-MISC"


def test_apply_agreed_afterwards_keeps_the_decisions(setup):
    editing.ensure_working_layer(setup.document, GOLD)
    assert decide(setup, 0, 4, 5, "reading-1").status_code == 200  # ORG
    assert decide(setup, 1, 1, 2, "nothing").status_code == 200
    changed, ties = adjudication.apply_agreed(
        user=setup.reviewer, document=setup.document, rule="majority"
    )
    assert setup.gold() == [
        ["B-PER", "O", "B-PER", "O", "B-ORG", "O", "O", "O"],
        ["O"] * 4,
        ["O"] * 4,
        ["B-PER", "O", "O", "O", "O"],
    ]
    assert [(item.position, d.start) for item, d in ties] == [(3, 0)]
    html = page(setup)
    assert "<strong>1 open</strong>, 2 decided" in html
    # A later decision on the same region replaces the earlier one.
    assert decide(setup, 0, 4, 5, "reading-2").status_code == 200
    adjudication.apply_agreed(user=setup.reviewer, document=setup.document, rule="majority")
    assert setup.gold()[0][4] == "B-MISC"


def test_the_put_agreed_spans_button_applies_them_and_says_what_is_left(setup):
    client = setup.client(setup.reviewer)
    url = reverse("annotator-document-adjudicate-apply", args=[setup.document.pk])
    response = client.post(url, {"layers": LAYERS}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gold took the agreed spans in 3 sentences; 3 disagreements left for you." in html
    assert setup.gold() == MAJORITY_GOLD


def test_a_rejected_span_that_two_readings_share_keeps_both_voters(setup):
    """Grace Hopper: ann2 (Grace PER + Hopper LOC) and ann3 (Grace PER) both proposed Grace
    PER. Taking ann1's reading rejects it, and the record must name both who proposed it."""
    editing.ensure_working_layer(setup.document, GOLD)
    item = item_at(setup, 3)
    [dispute] = item.vote.disputes
    assert readings_of(dispute) == [
        ([(0, 2, "ORG")], ["annotator ann1"]),
        ([(0, 1, "PER"), (1, 2, "LOC")], ["annotator ann2"]),
        ([(0, 1, "PER")], ["annotator ann3"]),
    ]
    assert decide(setup, 3, 0, 2, "reading-0").status_code == 200
    assert setup.gold()[3] == ["B-ORG", "I-ORG", "O", "O", "O"]
    rejected = {tuple(r[:3]): sorted(r[3]) for r in Decision.objects.get().rejected}
    assert rejected == {
        (1, 2, "LOC"): ["annotator ann2"],
        (0, 1, "PER"): ["annotator ann2", "annotator ann3"],
    }


def test_the_page_does_not_load_each_deciders_name_on_its_own(setup, django_assert_max_num_queries):
    editing.ensure_working_layer(setup.document, GOLD)
    decide(setup, 0, 4, 5, "reading-0")
    client = setup.client(setup.reviewer)
    url = reverse("annotator-document-adjudicate", args=[setup.document.pk])
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    queries = len(one)  # before the next request resets the connection's query log
    decide(setup, 1, 1, 2, "nothing")
    decide(setup, 3, 0, 2, "reading-2")
    with django_assert_max_num_queries(queries):
        assert client.get(url).status_code == 200


# --- the majority-vote job and the export ---------------------------------------------------


def run_vote(setup: Setup, **params) -> Job:
    job = jobs.start_job(
        kind="majority-vote",
        user=setup.reviewer,
        project=setup.project,
        params={"documents": [], "rule": "majority", "finished_only": True, **params},
    )
    jobs.run_job(job.pk)
    job.refresh_from_db()
    return job


def test_the_majority_vote_job_builds_gold_and_lists_the_ties(setup):
    job = run_vote(setup)
    assert job.state == Job.State.DONE, job.error
    assert setup.gold() == MAJORITY_GOLD
    result = job.result
    assert (result["documents"], result["changed"], result["ties"]) == (1, 3, 3)
    assert [(t["position"], t["start"], t["end"], t["text"]) for t in result["tie_list"]] == [
        (0, 4, 5, "Paris"),
        (1, 1, 2, SCRIPT),
        (3, 0, 2, "Grace Hopper"),
    ]
    assert result["tie_list"][1]["readings"] == [
        {"spans": [[1, 2, "ORG"]], "voters": ["annotator ann1"]},
        {"spans": [[1, 2, "LOC"]], "voters": ["annotator ann2"]},
        {"spans": [], "voters": ["annotator ann3"]},
    ]
    assert all(t["document"] == setup.document.pk for t in result["tie_list"])
    assert job.message.startswith("Gold built by vote: 3 sentences changed, 3 ties")
    run_again = run_vote(setup)
    assert run_again.result["changed"] == 0 and run_again.result["ties"] == 3


def test_the_majority_vote_job_keeps_decisions_and_lists_only_open_ties(setup):
    editing.ensure_working_layer(setup.document, GOLD)
    decide(setup, 0, 4, 5, "reading-0")
    job = run_vote(setup)
    assert [t["position"] for t in job.result["tie_list"]] == [1, 3]
    assert setup.gold()[0][4] == "B-LOC"


def test_the_queue_page_lists_the_votes_ties_escaped(setup):
    run_vote(setup)
    response = setup.client(setup.reviewer).get(
        reverse("annotator-adjudication-queue", args=[setup.project.pk])
    )
    html = response.content.decode()
    assert "3 ties" in html
    assert SCRIPT not in html
    assert (
        "“&lt;script&gt;x&lt;/script&gt;”: ORG (annotator ann1) vs LOC (annotator ann2) vs "
        "nothing (annotator ann3)"
    ) in html


def test_the_vote_form_starts_a_job_with_the_chosen_rule(setup, queued):
    client = setup.client(setup.reviewer)
    url = reverse("annotator-majority-vote", args=[setup.project.pk])
    response = client.post(url, {"rule": "all", "finished_only": "1"})
    assert response.status_code == 302
    assert response.url == reverse("annotator-adjudication-queue", args=[setup.project.pk])
    job = Job.objects.get(kind="majority-vote")
    assert job.params == {"documents": [], "rule": "all", "finished_only": True}


def test_unticking_only_submitted_work_on_the_vote_form_includes_work_in_progress(setup, queued):
    """An unticked checkbox is not sent at all: the form must then mean 'all work'."""
    client = setup.client(setup.reviewer)
    client.post(reverse("annotator-majority-vote", args=[setup.project.pk]), {"rule": "majority"})
    assert Job.objects.get(kind="majority-vote").params["finished_only"] is False


def exported(setup: Setup, client: Client) -> list[list[tuple[str, str]]]:
    url = reverse("annotator-document-export", args=[setup.document.pk])
    response = client.get(url, {"layer": GOLD})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    return [
        [tuple(line.split("\t")) for line in block.splitlines()]
        for block in text.strip().split("\n\n")
    ]


def test_the_gold_export_after_adjudication_has_the_adjudicated_tags(setup):
    run_vote(setup)
    decide(setup, 0, 4, 5, "reading-0")
    decide(setup, 1, 1, 2, "reading-1")
    decide(setup, 3, 0, 2, "reading-1")
    sentences = exported(setup, setup.client(setup.manager))
    assert sentences == [
        list(zip(tokens, tags, strict=True))
        for (tokens, *_), tags in zip(
            SENTENCES,
            [
                ["B-PER", "O", "B-PER", "O", "B-LOC", "O", "O", "O"],
                ["O", "B-LOC", "O", "O"],
                ["O"] * 4,
                ["B-PER", "B-LOC", "O", "O", "O"],
            ],
            strict=True,
        )
    ]


# --- who may reach what ----------------------------------------------------------------------


def agreement_job(setup: Setup) -> AgreementReport:
    job = jobs.start_job(
        kind="agreement",
        user=setup.reviewer,
        project=setup.project,
        params={"layers": LAYERS, "gold": "", "documents": [], "finished_only": True},
    )
    jobs.run_job(job.pk)
    return AgreementReport.objects.get(job_id=job.pk)


def routes(setup: Setup, report: AgreementReport) -> dict[str, tuple[str, str, dict]]:
    project, document = setup.project.pk, setup.document.pk
    return {
        "agreement": ("GET", reverse("annotator-agreement", args=[project]), {}),
        "agreement-post": (
            "POST",
            reverse("annotator-agreement", args=[project]),
            {"layers": LAYERS, "finished_only": "1"},
        ),
        "agreement-cell": (
            "GET",
            reverse("annotator-agreement-cell", args=[project, report.pk])
            + "?"
            + urlencode({"a": LAYERS[0], "b": LAYERS[1], "cell": "any"}),
            {},
        ),
        "adjudication-queue": ("GET", reverse("annotator-adjudication-queue", args=[project]), {}),
        "majority-vote": (
            "POST",
            reverse("annotator-majority-vote", args=[project]),
            {"rule": "majority", "finished_only": "1"},
        ),
        "document-adjudicate": (
            "GET",
            reverse("annotator-document-adjudicate", args=[document]),
            {},
        ),
        "document-decide": (
            "POST",
            reverse("annotator-document-decide", args=[document]),
            {"sentence": setup.sid(0), "start": 4, "end": 5, "choice": "reading-0"},
        ),
        "document-adjudicate-apply": (
            "POST",
            reverse("annotator-document-adjudicate-apply", args=[document]),
            {},
        ),
    }


OK = {"GET": 200, "POST": 302}
# The sentences behind the figures stay hidden from annotators of a blind project (the default).
READABLE_WHEN_OPEN = {"agreement"}


def call(client: Client, method: str, url: str, data: dict):
    return client.get(url) if method == "GET" else client.post(url, data)


@pytest.mark.parametrize("role", ["manager", "reviewer", "annotator", "outsider"])
@pytest.mark.parametrize("open_report", [False, True], ids=["closed", "open"])
def test_who_may_reach_the_agreement_and_adjudication_pages(setup, queued, role, open_report):
    report = agreement_job(setup)
    Project.objects.filter(pk=setup.project.pk).update(agreement_open=open_report)
    user = {
        "manager": setup.manager,
        "reviewer": setup.reviewer,
        "annotator": setup.annotators["ann1"],
        "outsider": setup.outsider,
    }[role]
    client = setup.client(user)
    for name, (method, url, data) in routes(setup, report).items():
        if role in ("manager", "reviewer"):
            want = OK[method]
        elif role == "outsider":
            want = 404
        elif open_report and name in READABLE_WHEN_OPEN:
            want = 200
        else:
            want = 403
        decisions, jobs_before = Decision.objects.count(), Job.objects.count()
        response = call(client, method, url, data)
        assert response.status_code == want, (name, response.status_code)
        if want in (403, 404):
            assert (Decision.objects.count(), Job.objects.count()) == (decisions, jobs_before)
            assert "Alice" not in response.content.decode(), name


def test_an_annotator_reading_an_open_report_sees_no_recompute_form(setup):
    agreement_job(setup)
    Project.objects.filter(pk=setup.project.pk).update(agreement_open=True)
    html = (
        setup.client(setup.annotators["ann1"])
        .get(reverse("annotator-agreement", args=[setup.project.pk]))
        .content.decode()
    )
    assert "Agreement of annotator ann1, annotator ann2, annotator ann3" in html
    assert "Compute (a job)" not in html and "Recompute" not in html
    assert "Adjudicate:" not in html


def test_an_anonymous_visitor_is_sent_to_log_in(setup):
    report = agreement_job(setup)
    for _name, (method, url, data) in routes(setup, report).items():
        response = call(Client(), method, url, data)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_a_report_of_another_project_is_not_found(setup, tmp_path):
    report = agreement_job(setup)
    other = make_project("Other corpus")
    make_document(other, imported_sentences())
    Membership.objects.create(project=other, user=setup.reviewer, role=Membership.Role.REVIEWER)
    url = reverse("annotator-agreement-cell", args=[other.pk, report.pk])
    assert (
        setup.client(setup.reviewer).get(url, {"a": LAYERS[0], "b": LAYERS[1]}).status_code == 404
    )
    url = reverse("annotator-agreement", args=[other.pk]) + f"?report={report.pk}"
    html = setup.client(setup.reviewer).get(url).content.decode()
    assert "No agreement report yet." in html


# --- the report page's cost ------------------------------------------------------------------


def synthetic_report(project: Project, annotators: int, sentences: int = 30) -> AgreementReport:
    """A stored report over `annotators` made-up layers (its pages read only the report)."""
    import random

    rng = random.Random(annotators)
    layers = {
        f"reader {i}": [
            [rng.choice(["O", "O", "O", "B-PER", "B-LOC"]) for _ in range(6)]
            for _ in range(sentences)
        ]
        for i in range(annotators)
    }
    return AgreementReport.objects.create(
        project=project,
        params={"layers": list(layers), "gold": "", "documents": [], "finished_only": True},
        result=agreement_report(layers),
        cells={},
        queue={"sentences": [], "sentence_count": 0, "documents": []},
    )


def test_the_report_pages_queries_do_not_grow_with_pairs_or_documents(
    setup, tmp_path, django_assert_max_num_queries
):
    agreement_job(setup)
    client = setup.client(setup.reviewer)
    url = reverse("annotator-agreement", args=[setup.project.pk])
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    queries = len(small)  # before the next request resets the connection's query log
    assert response.status_code == 200
    assert response.content.decode().count('<td class="heat-') >= 6  # 3 x 2 pairs
    for i in range(4):
        make_document(
            setup.project, [[(f"Doc{i}", "B-PER"), ("ends", "O")]], name=f"more-{i}.conll"
        )
    synthetic_report(setup.project, annotators=7)  # 21 pairs, now the newest
    with django_assert_max_num_queries(queries):
        response = client.get(url)
    html = response.content.decode()
    assert "Agreement of reader 0, reader 1" in html
    assert html.count('<td class="heat-') >= 42
    for i in range(4):
        assert f"more-{i}.conll" in html  # the documents of the recompute form
