"""The agreement report on the sample: three annotators' layers and gold, measured by the job.

The corpus is the project's sample article (107 sentences) imported, assigned to three
annotators in tasks of 40 sentences, each annotator's layer changed the way people differ
(relabelled, dropped, added and shifted spans; seeded), some tasks left unsubmitted, and a gold
layer edited by a reviewer. The "agreement" job runs in-process as a worker runs it, and every
figure of the stored report is recomputed here from the database rows with reference libraries
(scikit-learn, statsmodels, krippendorff, seqeval) or, where none exists, a brute-force loop.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import krippendorff
import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from annotator.models import (
    GOLD,
    IMPORTED,
    AgreementReport,
    Document,
    Job,
    Membership,
    Project,
    SentenceTags,
    TagLayer,
    Task,
)
from annotator.nlp import scheme
from annotator.nlp.scheme import Span
from annotator.services import assignment, editing, jobs, workflow
from tests.browser.helpers import DEMO
from tests.conftest import import_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_cache")]

State = Task.State
ANNOTATORS = ("ann1", "ann2", "ann3")
LAYERS = [f"annotator {name}" for name in ANNOTATORS]
TASK_SIZE = 40  # tasks [0, 40), [40, 80), [80, 107)
# How often each annotator departs from the imported tags, per span: ann1 is careful, ann3 not.
CARELESSNESS = {"ann1": 0.06, "ann2": 0.14, "ann3": 0.25}
# Which of each annotator's tasks (by first sentence) are handed in; the rest stay open.
SUBMITTED = {"ann1": (0, 40, 80), "ann2": (0,), "ann3": (0, 40)}
APPROVED = {("ann1", 0)}  # approved work counts as finished too
FINISHED = (State.SUBMITTED, State.APPROVED)
EPS = 1e-9


# --- building the corpus ---------------------------------------------------------------------


@dataclass
class Corpus:
    project: Project
    document: Document
    manager: object
    reviewer: object
    annotators: dict  # username -> user

    def layer(self, name: str) -> TagLayer:
        return TagLayer.objects.get(document=self.document, name=name)


def user(username: str):
    return get_user_model().objects.get(username=username)


def annotate(tags: list[str], rng: random.Random, labels: list[str], rate: float) -> list[str]:
    """What a less careful annotator makes of `tags`: some spans relabelled, dropped, shifted
    by one token, and a few new spans on untagged tokens. Always valid IOB2."""
    original = scheme.spans(tags, "iob2")
    taken = {i for span in original for i in range(span.start, span.end)}
    kept: list[Span] = []
    for span in original:
        roll = rng.random()
        if roll < rate:
            other = rng.choice([label for label in labels if label != span.label])
            kept.append(Span(span.start, span.end, other))
        elif roll < 2 * rate:
            continue  # missed
        elif roll < 3 * rate:
            if span.end < len(tags) and span.end not in taken:
                kept.append(Span(span.start, span.end + 1, span.label))  # one token too far
            elif span.end - span.start > 1:
                kept.append(Span(span.start + 1, span.end, span.label))  # one token short
            else:
                kept.append(span)
        else:
            kept.append(span)
    used = {i for span in kept for i in range(span.start, span.end)} | taken
    free = [i for i in range(len(tags)) if i not in used]
    if free and rng.random() < 2 * rate:
        start = rng.choice(free)
        end = start + 2 if start + 1 in free and rng.random() < 0.3 else start + 1
        kept.append(Span(start, end, rng.choice(labels)))
    new_tags = scheme.tags_from_spans(kept, len(tags), "iob2")
    assert scheme.is_valid(new_tags, "iob2")
    return new_tags


def submit(task: Task, annotator) -> None:
    workflow.transition(user=annotator, task_id=task.pk, to=State.IN_PROGRESS, as_reviewer=False)
    workflow.transition(user=annotator, task_id=task.pk, to=State.SUBMITTED, as_reviewer=False)


def edit_gold(corpus: Corpus) -> None:
    """The reviewer's gold: the imported tags with a few corrections."""
    gold = editing.ensure_working_layer(corpus.document, GOLD)
    gold.document = corpus.document
    rows = SentenceTags.objects.filter(layer=gold).order_by("sentence__position")
    edits = 0
    for row in rows:
        spans = scheme.spans(row.tags, "iob2")
        if not spans or row.sentence.position % 9:
            continue
        first = spans[0]
        operation, label = ("remove", None) if edits % 3 == 2 else ("label", "Library")
        editing.edit_sentence(
            user=corpus.reviewer,
            layer=gold,
            sentence_id=row.sentence_id,
            version=row.version,
            operation=operation,
            start=first.start,
            end=first.end,
            label=label,
        )
        edits += 1
    assert edits >= 5


def build_corpus(name: str = "RNN agreement", seed: int = 6) -> Corpus:
    """The sample with three annotators' layers (see the module docstring) and gold."""
    project = import_files(name, DEMO).project
    project.task_size = TASK_SIZE
    project.save()
    User = get_user_model()
    manager = User.objects.create_user("manny", password="pw-manny-123")
    reviewer = User.objects.create_user("rex", password="pw-rex-1234")
    Membership.objects.create(project=project, user=manager, role=Membership.Role.MANAGER)
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    annotators = {}
    for username in ANNOTATORS:
        annotators[username] = User.objects.create_user(username, password="pw-ann-1234")
        Membership.objects.create(
            project=project, user=annotators[username], role=Membership.Role.ANNOTATOR
        )
    document = project.documents.get()
    corpus = Corpus(project, document, manager, reviewer, annotators)
    tasks = assignment.assign(
        manager=manager,
        project=project,
        documents=[document],
        annotators=list(annotators.values()),
        start_layer=IMPORTED,
    )
    labels = sorted(project.labels)
    for offset, (username, annotator) in enumerate(annotators.items()):
        rng = random.Random(seed * 100 + offset)
        layer = corpus.layer(f"annotator {username}")
        rows = SentenceTags.objects.filter(layer=layer).order_by("sentence__position")
        for row in rows:
            new_tags = annotate(row.tags, rng, labels, CARELESSNESS[username])
            editing.replace_tags(
                user=annotator,
                layer=layer,
                sentence_id=row.sentence_id,
                version=row.version,
                tags=new_tags,
                action="annotate",
            )
    for task in tasks:
        username = task.annotator.username
        if task.first_sentence in SUBMITTED[username]:
            submit(task, task.annotator)
            if (username, task.first_sentence) in APPROVED:
                workflow.transition(
                    user=reviewer, task_id=task.pk, to=State.APPROVED, as_reviewer=True
                )
        elif task.first_sentence == 40:
            workflow.transition(
                user=task.annotator, task_id=task.pk, to=State.IN_PROGRESS, as_reviewer=False
            )
    edit_gold(corpus)
    return corpus


def run_agreement(corpus: Corpus, **params) -> Job:
    """Create the job as the report page does and run it in-process as a worker does."""
    job = jobs.start_job(
        kind="agreement",
        user=corpus.reviewer,
        project=corpus.project,
        params={"layers": LAYERS, "gold": GOLD, "documents": [], "finished_only": True, **params},
    )
    jobs.run_job(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def corpus(db) -> Corpus:
    return build_corpus()


@pytest.fixture
def report(corpus) -> AgreementReport:
    job = run_agreement(corpus)
    assert job.state == Job.State.DONE, job.error
    return AgreementReport.objects.get(job=job)


# --- the reference computation, straight from the rows ---------------------------------------


def label_of(tag: str) -> str:
    return "O" if tag == "O" else tag.split("-", 1)[1]


@dataclass
class Truth:
    """Per layer, the tags of the sentences it annotated (by position), read from the rows."""

    lengths: dict[int, int]
    layers: dict[str, dict[int, list[str]]]
    annotators: list[str]

    def both(self, a: str, b: str) -> list[int]:
        return sorted(set(self.layers[a]) & set(self.layers[b]))

    def labels(self, a: str, b: str) -> tuple[list[str], list[str]]:
        """The token labels of a and of b over the sentences both annotated."""
        positions = self.both(a, b)
        la = [label_of(t) for p in positions for t in self.layers[a][p]]
        lb = [label_of(t) for p in positions for t in self.layers[b][p]]
        return la, lb

    def units(self) -> list[list[str | None]]:
        """Per token of the document, each annotator's label or None (not annotated)."""
        found = []
        for position in sorted(self.lengths):
            for i in range(self.lengths[position]):
                found.append(
                    [
                        label_of(self.layers[n][position][i])
                        if position in self.layers[n]
                        else None
                        for n in self.annotators
                    ]
                )
        return found


def load_truth(document: Document, *, finished_only: bool = True, gold: bool = True) -> Truth:
    covered: dict[str, set[int]] = {name: set() for name in LAYERS}
    tasks = Task.objects.filter(document=document).exclude(state=State.WITHDRAWN)
    if finished_only:
        tasks = tasks.filter(state__in=FINISHED)
    for task in tasks.select_related("layer"):
        covered[task.layer.name].update(range(task.first_sentence, task.end_sentence))
    layers: dict[str, dict[int, list[str]]] = {name: {} for name in LAYERS}
    if gold:
        layers[GOLD] = {}
    rows = SentenceTags.objects.filter(layer__document=document, layer__name__in=list(layers))
    for name, position, tags in rows.values_list("layer__name", "sentence__position", "tags"):
        if name == GOLD or position in covered[name]:
            layers[name][position] = tags
    lengths = dict(document.sentences.values_list("position", "tokens"))
    lengths = {position: len(tokens) for position, tokens in lengths.items()}
    annotators = [name for name in LAYERS if layers[name]]
    return Truth(lengths, layers, annotators)


def all_labels(truth: Truth) -> list[str]:
    return sorted(
        {label_of(t) for tags in truth.layers.values() for s in tags.values() for t in s} - {"O"}
    )


def approx(value):
    return pytest.approx(value, abs=EPS)


def check_token_pair(entry: dict, truth: Truth, a: str, b: str, labels: list[str]) -> None:
    """Cohen's kappa, observed agreement, unit counts and confusion against scikit-learn."""
    la, lb = truth.labels(a, b)
    assert entry["token"]["all"]["units"] == len(la)
    assert entry["token"]["all"]["kappa"] == approx(cohen_kappa_score(la, lb))
    assert entry["token"]["all"]["observed"] == approx(np.mean(np.array(la) == np.array(lb)))
    tagged = [(x, y) for x, y in zip(la, lb, strict=True) if x != "O" or y != "O"]
    ta, tb = [x for x, _ in tagged], [y for _, y in tagged]
    assert entry["token"]["tagged"]["units"] == len(tagged) > 0
    assert entry["token"]["tagged"]["kappa"] == approx(cohen_kappa_score(ta, tb))
    assert entry["token"]["tagged"]["observed"] == approx(np.mean(np.array(ta) == np.array(tb)))
    order = ["O", *labels]
    assert entry["confusion"]["labels"] == order
    assert entry["confusion"]["matrix"] == confusion_matrix(la, lb, labels=order).tolist()


def check_exact_spans(entry: dict, truth: Truth, a: str, b: str, labels: list[str]) -> None:
    """Exact-span P/R/F1 per label, micro and macro against seqeval (b is the reference)."""
    positions = truth.both(a, b)
    pred = [truth.layers[a][p] for p in positions]
    true = [truth.layers[b][p] for p in positions]
    expected = classification_report(true, pred, output_dict=True, zero_division=0)
    spans_a = Counter(kind for kind, *_ in get_entities(pred))
    spans_b = Counter(kind for kind, *_ in get_entities(true))
    table = entry["span"]["exact"]
    assert sorted(table["per_label"]) == labels  # (jsonb keeps no key order: PostgreSQL)
    for label in labels:
        got = table["per_label"][label]
        assert (got["a"], got["b"]) == (spans_a[label], spans_b[label]), label
        if not spans_a[label] and not spans_b[label]:
            assert got["precision"] is got["recall"] is got["f1"] is None
            continue
        reference = expected[label]
        assert got["tp_a"] == got["tp_b"] == round(reference["recall"] * spans_b[label])
        assert got["precision"] == (approx(reference["precision"]) if spans_a[label] else None)
        assert got["recall"] == (approx(reference["recall"]) if spans_b[label] else None)
        assert got["f1"] == approx(reference["f1-score"]), label
    micro = expected["micro avg"]
    assert table["micro"]["a"] == sum(spans_a.values())
    assert table["micro"]["b"] == sum(spans_b.values())
    assert table["micro"]["precision"] == approx(micro["precision"])
    assert table["micro"]["recall"] == approx(micro["recall"])
    assert table["micro"]["f1"] == approx(micro["f1-score"])
    for key, side in (("precision", spans_a), ("recall", spans_b)):
        defined = [expected[label][key] for label in labels if side[label]]
        assert table["macro"][key] == approx(np.mean(defined))
    defined = [expected[label]["f1-score"] for label in labels if spans_a[label] or spans_b[label]]
    assert table["macro"]["f1"] == approx(np.mean(defined))


def overlap_reference(truth: Truth, a: str, b: str, labels: list[str]) -> dict:
    """Overlap matching by brute force: a span matches if a span of the other side with the
    same label shares a token with it."""
    counts = {label: Counter() for label in labels}
    for position in truth.both(a, b):
        spans_a = scheme.spans(truth.layers[a][position], "iob2")
        spans_b = scheme.spans(truth.layers[b][position], "iob2")
        for mine, theirs, side in ((spans_a, spans_b, "a"), (spans_b, spans_a, "b")):
            for span in mine:
                counts[span.label][side] += 1
                if any(
                    o.label == span.label and o.start < span.end and span.start < o.end
                    for o in theirs
                ):
                    counts[span.label]["tp_" + side] += 1
    return counts


def scores(c: Counter) -> tuple:
    precision = c["tp_a"] / c["a"] if c["a"] else None
    recall = c["tp_b"] / c["b"] if c["b"] else None
    p, r = precision or 0.0, recall or 0.0
    f1 = (2 * p * r / (p + r) if p + r else 0.0) if c["a"] or c["b"] else None
    return precision, recall, f1


def check_overlap_spans(entry: dict, truth: Truth, a: str, b: str, labels: list[str]) -> None:
    counts = overlap_reference(truth, a, b, labels)
    table = entry["span"]["overlap"]
    for label in labels:
        got, c = table["per_label"][label], counts[label]
        assert [got[k] for k in ("a", "b", "tp_a", "tp_b")] == [
            c["a"],
            c["b"],
            c["tp_a"],
            c["tp_b"],
        ], label
        assert [got["precision"], got["recall"], got["f1"]] == [
            None if v is None else approx(v) for v in scores(c)
        ], label
    total = sum(counts.values(), Counter())
    got = table["micro"]
    assert [got[k] for k in ("a", "b", "tp_a", "tp_b")] == [
        total["a"],
        total["b"],
        total["tp_a"],
        total["tp_b"],
    ]
    assert [got["precision"], got["recall"], got["f1"]] == [approx(v) for v in scores(total)]
    per_label = [scores(counts[label]) for label in labels]
    for i, key in enumerate(("precision", "recall", "f1")):
        defined = [s[i] for s in per_label if s[i] is not None]
        assert table["macro"][key] == approx(np.mean(defined))


def check_pair(entry: dict, truth: Truth, a: str, b: str, labels: list[str]) -> None:
    assert (entry["a"], entry["b"]) == (a, b)
    check_token_pair(entry, truth, a, b, labels)
    check_exact_spans(entry, truth, a, b, labels)
    check_overlap_spans(entry, truth, a, b, labels)


def codes(units: list[list[str | None]], labels: list[str]) -> np.ndarray:
    """Annotators x units of label codes, NaN where a value is missing (krippendorff's form)."""
    index = {label: i for i, label in enumerate(["O", *labels])}
    return np.array(
        [[np.nan if v is None else index[v] for v in unit] for unit in units], dtype=float
    ).T


def observed_by_pairs(units: list[list[str | None]]) -> tuple[float, int]:
    """1 - Do by its definition: each pairable unit's agreeing ordered pairs of values over
    m_u - 1, summed, over the number of pairable values; and the number of pairable units."""
    agreeing, values, pairable = 0.0, 0, 0
    for unit in units:
        present = [v for v in unit if v is not None]
        m = len(present)
        if m < 2:
            continue
        pairable += 1
        values += m
        same = sum(1 for i in range(m) for j in range(m) if i != j and present[i] == present[j])
        agreeing += same / (m - 1)
    return agreeing / values, pairable


def check_group(entry: dict, units: list[list[str | None]], labels: list[str]) -> None:
    """Fleiss' kappa (statsmodels), Krippendorff's alpha (krippendorff), observed, units."""
    units = [u for u in units if any(v is not None for v in u)]
    assert entry["units"] == len(units)
    full = [u for u in units if all(v is not None for v in u)]
    assert entry["fleiss_units"] == len(full) > 0
    table, _ = aggregate_raters(np.array(full))
    assert entry["fleiss_kappa"] == approx(fleiss_kappa(table, method="fleiss"))
    data = codes(units, labels)
    assert entry["alpha"] == approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    )
    observed, pairable = observed_by_pairs(units)
    assert entry["alpha_units"] == pairable
    assert entry["observed"] == approx(observed)


# --- the report's figures --------------------------------------------------------------------


def test_the_job_stores_a_report_of_the_three_annotators_and_gold(corpus, report):
    job = report.job
    assert job.state == Job.State.DONE
    assert job.result == {"report": report.pk, "pairs": 3}
    assert job.message == "Agreement of 3 layers measured."
    result = report.result
    truth = load_truth(corpus.document)
    assert result["annotators"] == LAYERS
    assert result["labels"] == all_labels(truth)
    assert result["sentences"] == corpus.document.sentence_count == 107
    assert result["tokens"] == corpus.document.token_count == sum(truth.lengths.values())
    assert [(p["a"], p["b"]) for p in result["pairs"]] == list(combinations(LAYERS, 2))
    assert list(result["against_gold"]) == LAYERS
    assert report.params["finished_only"] is True
    assert report.created_by == corpus.reviewer


def test_the_annotators_cover_what_their_finished_tasks_cover(corpus):
    """The setup itself: missing values where tasks are open, one region only ann1 did."""
    truth = load_truth(corpus.document)
    assert sorted(truth.layers["annotator ann1"]) == list(range(107))
    assert sorted(truth.layers["annotator ann2"]) == list(range(40))
    assert sorted(truth.layers["annotator ann3"]) == list(range(80))
    # Every annotator departs from the imported tags, each differently.
    imported = dict(
        SentenceTags.objects.filter(
            layer__document=corpus.document, layer__name=IMPORTED
        ).values_list("sentence__position", "tags")
    )
    differing = {
        name: {p for p, tags in truth.layers[name].items() if tags != imported[p]}
        for name in LAYERS
    }
    assert all(len(found) >= 5 for found in differing.values()), differing
    assert len({frozenset(found) for found in differing.values()}) == 3


def test_every_pairs_token_figures_match_scikit_learn(corpus, report):
    truth = load_truth(corpus.document)
    labels = report.result["labels"]
    for entry, (a, b) in zip(report.result["pairs"], combinations(LAYERS, 2), strict=True):
        check_token_pair(entry, truth, a, b, labels)


def test_pairs_are_measured_over_the_sentences_both_annotated(corpus, report):
    lengths = load_truth(corpus.document).lengths
    tokens = [sum(lengths[p] for p in range(end)) for end in (80, 40, 40)]
    assert [p["token"]["all"]["units"] for p in report.result["pairs"]] == [
        tokens[1],  # ann1 / ann2: ann2 handed in sentences 1-40
        tokens[0],  # ann1 / ann3: sentences 1-80
        tokens[1],  # ann2 / ann3
    ]


def test_every_pairs_exact_span_scores_match_seqeval(corpus, report):
    truth = load_truth(corpus.document)
    labels = report.result["labels"]
    for entry, (a, b) in zip(report.result["pairs"], combinations(LAYERS, 2), strict=True):
        check_exact_spans(entry, truth, a, b, labels)


def test_exact_span_f1_is_symmetric_and_precision_of_one_is_recall_of_the_other(report):
    for entry in report.result["pairs"]:
        micro = entry["span"]["exact"]["micro"]
        assert micro["tp_a"] == micro["tp_b"]
        assert micro["f1"] == approx(2 * micro["tp_a"] / (micro["a"] + micro["b"]))


def test_every_pairs_overlap_span_scores_match_a_brute_force_count(corpus, report):
    truth = load_truth(corpus.document)
    labels = report.result["labels"]
    for entry, (a, b) in zip(report.result["pairs"], combinations(LAYERS, 2), strict=True):
        check_overlap_spans(entry, truth, a, b, labels)
        exact, overlap = entry["span"]["exact"]["micro"], entry["span"]["overlap"]["micro"]
        assert overlap["tp_a"] >= exact["tp_a"] and overlap["f1"] >= exact["f1"]


def test_fleiss_alpha_and_observed_over_all_tokens_match_statsmodels_and_krippendorff(
    corpus, report
):
    truth = load_truth(corpus.document)
    units = truth.units()
    check_group(report.result["token"]["all"], units, report.result["labels"])
    # Fleiss over the sentences everyone handed in (1-40); alpha over every pairable token.
    lengths = truth.lengths
    assert report.result["token"]["all"]["fleiss_units"] == sum(lengths[p] for p in range(40))
    assert report.result["token"]["all"]["alpha_units"] == sum(lengths[p] for p in range(80))
    assert report.result["token"]["all"]["units"] == sum(lengths.values())


def test_fleiss_alpha_and_observed_over_tagged_tokens_match_the_references(corpus, report):
    truth = load_truth(corpus.document)
    tagged = [u for u in truth.units() if any(v not in (None, "O") for v in u)]
    entry = report.result["token"]["tagged"]
    check_group(entry, tagged, report.result["labels"])
    assert entry["units"] < report.result["token"]["all"]["units"]
    # Leaving the all-O tokens out makes the agreement look worse, not better: both shown.
    assert entry["alpha"] < report.result["token"]["all"]["alpha"]


def test_the_figures_against_gold_match_the_same_references(corpus, report):
    truth = load_truth(corpus.document)
    labels = report.result["labels"]
    against = report.result["against_gold"]
    for name in LAYERS:
        check_pair(against[name], truth, name, GOLD, labels)
    # Gold covers every sentence, so each annotator is scored on all they handed in.
    assert against["annotator ann2"]["token"]["all"]["units"] == sum(
        truth.lengths[p] for p in range(40)
    )
    # The careful annotator is closest to gold.
    f1 = {name: against[name]["span"]["exact"]["micro"]["f1"] for name in LAYERS}
    assert f1["annotator ann1"] > f1["annotator ann3"]


def test_the_labels_list_every_entity_type_of_the_measured_layers(corpus, report):
    truth = load_truth(corpus.document)
    assert report.result["labels"] == all_labels(truth)
    for entry in report.result["pairs"]:
        # Every label, also those this pair never used ("labels" keeps the order; jsonb does
        # not keep the order of keys on PostgreSQL).
        assert sorted(entry["span"]["exact"]["per_label"]) == report.result["labels"]
        assert sorted(entry["span"]["overlap"]["per_label"]) == report.result["labels"]


# --- drill-down cells and the queue ---------------------------------------------------------


def differing(truth: Truth, a: str, b: str, document: Document, keep) -> list[list[int]]:
    """[document, position] of the sentences both annotated where keep(tags_a, tags_b)."""
    return [
        [document.pk, p]
        for p in truth.both(a, b)
        if truth.layers[a][p] != truth.layers[b][p] and keep(truth.layers[a][p], truth.layers[b][p])
    ]


def on_label(label: str):
    def keep(x: list[str], y: list[str]) -> bool:
        mine = {s for s in scheme.spans(x, "iob2") if s.label == label}
        theirs = {s for s in scheme.spans(y, "iob2") if s.label == label}
        return mine != theirs

    return keep


def says(la: str, lb: str):
    def keep(x: list[str], y: list[str]) -> bool:
        return any(label_of(s) == la and label_of(t) == lb for s, t in zip(x, y, strict=True))

    return keep


def busiest_confusion(entry: dict) -> tuple[str, str]:
    """The off-diagonal confusion cell with the most tokens where both sides have a label."""
    labels, matrix = entry["confusion"]["labels"], entry["confusion"]["matrix"]
    count, la, lb = max(
        (matrix[i][j], labels[i], labels[j])
        for i in range(1, len(labels))
        for j in range(1, len(labels))
        if i != j
    )
    assert count > 0
    return la, lb


def test_drill_down_cells_list_exactly_the_sentences_where_two_layers_differ(corpus, report):
    truth = load_truth(corpus.document)
    doc = corpus.document
    for entry in report.result["pairs"]:
        a, b = entry["a"], entry["b"]
        cells = report.cells[f"{a}|{b}"]
        anything = differing(truth, a, b, doc, lambda x, y: True)
        assert cells["any"] == {"count": len(anything), "sentences": anything}
        assert anything
        for label in report.result["labels"]:
            expected = differing(truth, a, b, doc, on_label(label))
            got = cells.get(f"label:{label}", {"count": 0, "sentences": []})
            assert got == {"count": len(expected), "sentences": expected}, label
        la, lb = busiest_confusion(entry)
        expected = differing(truth, a, b, doc, says(la, lb))
        assert cells[f"{la}|{lb}"] == {"count": len(expected), "sentences": expected}
        # Every key names a label pair or a label that really differs; no empty cells.
        for key, cell in cells.items():
            assert cell["count"] == len(cell["sentences"]) > 0, key


def cell_page(client: Client, report: AgreementReport, **query) -> str:
    url = reverse("annotator-agreement-cell", args=[report.project_id, report.pk])
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def listed_positions(html: str) -> list[int]:
    import re

    return [int(n) - 1 for n in re.findall(r'<span class="number">(\d+)</span>', html)]


def test_the_cell_pages_list_those_sentences_with_a_comparison_link(corpus, report):
    truth = load_truth(corpus.document)
    client = Client()
    client.force_login(corpus.reviewer)
    entry = report.result["pairs"][1]  # ann1 / ann3
    a, b = entry["a"], entry["b"]
    anything = differing(truth, a, b, corpus.document, lambda x, y: True)
    html = cell_page(client, report, a=a, b=b, cell="any")
    assert listed_positions(html) == [p for _, p in anything]
    assert f"{len(anything)} sentences" in html
    compare = reverse("annotator-document-compare", args=[corpus.document.pk])
    first = anything[0][1]
    assert (
        f"{compare}?left=annotator%20ann1&amp;right=annotator%20ann3&amp;position={first}" in html
    )
    label = report.result["labels"][0]
    on = differing(truth, a, b, corpus.document, on_label(label))
    html = cell_page(client, report, a=a, b=b, cell=f"label:{label}")
    assert listed_positions(html) == [p for _, p in on]
    la, lb = busiest_confusion(entry)
    expected = differing(truth, a, b, corpus.document, says(la, lb))
    html = cell_page(client, report, a=a, b=b, cell=f"{la}|{lb}")
    assert listed_positions(html) == [p for _, p in expected]
    assert f"Where {a} says {la} and {b} says {lb}" in html
    # The same cell asked the other way round: b's label first.
    flipped = cell_page(client, report, a=b, b=a, cell=f"{lb}|{la}")
    assert listed_positions(flipped) == [p for _, p in expected]


def disagreement_of(readings: list[list[str]]) -> int:
    """Tokens whose label (entity type or O) is not the same in every reading."""
    return sum(
        1 for column in zip(*readings, strict=True) if len({label_of(t) for t in column}) > 1
    )


def test_the_queue_orders_sentences_by_descending_disagreement(corpus, report):
    truth = load_truth(corpus.document)
    expected = []
    for position in sorted(truth.lengths):
        readings = [truth.layers[n][position] for n in LAYERS if position in truth.layers[n]]
        if len(readings) >= 2 and disagreement_of(readings):
            expected.append([corpus.document.pk, position, disagreement_of(readings)])
    expected.sort(key=lambda s: (-s[2], s[1]))
    queue = report.queue
    assert queue["sentences"] == expected
    assert queue["sentence_count"] == len(expected)
    scores = [s[2] for s in queue["sentences"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert queue["documents"] == [[corpus.document.pk, sum(s[2] for s in expected), len(expected)]]


def test_the_adjudication_queue_page_lists_sentences_most_disagreement_first(corpus, report):
    client = Client()
    client.force_login(corpus.reviewer)
    response = client.get(reverse("annotator-adjudication-queue", args=[corpus.project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    import re

    shown = [int(p) for p in re.findall(r"\?position=(\d+)#position-", html)]
    assert shown == [p for _, p, _ in report.queue["sentences"]][: len(shown)]
    assert len(shown) == min(200, len(report.queue["sentences"]))


# --- what counts, and when the job refuses ---------------------------------------------------


def test_finished_only_leaves_out_unsubmitted_work_and_all_work_brings_it_in(corpus, report):
    everything = AgreementReport.objects.get(job=run_agreement(corpus, finished_only=False))
    truth = load_truth(corpus.document, finished_only=False)
    assert all(sorted(truth.layers[name]) == list(range(107)) for name in LAYERS)
    labels = everything.result["labels"]
    for entry, (a, b) in zip(everything.result["pairs"], combinations(LAYERS, 2), strict=True):
        check_pair(entry, truth, a, b, labels)
    check_group(everything.result["token"]["all"], truth.units(), labels)
    total = sum(truth.lengths.values())
    assert everything.result["token"]["all"]["fleiss_units"] == total
    assert report.result["token"]["all"]["fleiss_units"] < total
    assert everything.result["pairs"][0]["token"]["all"]["units"] == total
    # The open tasks' edits make the difference, and only with finished_only off.
    assert everything.result["pairs"] != report.result["pairs"]


def test_a_withdrawn_task_never_counts(corpus):
    task = Task.objects.get(
        document=corpus.document, annotator=corpus.annotators["ann3"], first_sentence=80
    )
    workflow.withdraw(manager=corpus.manager, task_id=task.pk)
    job = run_agreement(corpus, finished_only=False)
    result = AgreementReport.objects.get(job=job).result
    truth = load_truth(corpus.document, finished_only=False)
    assert sorted(truth.layers["annotator ann3"]) == list(range(80))
    check_pair(result["pairs"][1], truth, "annotator ann1", "annotator ann3", result["labels"])


def test_the_job_fails_clearly_and_writes_no_report_with_fewer_than_two_annotated_layers(corpus):
    # Only ann1 handed anything in among these two, so the pair cannot be measured.
    Task.objects.filter(annotator=corpus.annotators["ann2"]).update(state=State.IN_PROGRESS)
    job = run_agreement(corpus, layers=["annotator ann1", "annotator ann2"])
    assert job.state == Job.State.FAILED
    assert "at least two layers with annotated sentences" in job.error
    assert "found annotator ann1" in job.error
    assert "is the annotators' work submitted?" in job.error
    assert job.message == "Failed; nothing was written."
    assert not AgreementReport.objects.exists()


def test_the_job_fails_clearly_when_no_chosen_layer_has_annotated_sentences(corpus):
    Task.objects.filter(document=corpus.document).update(state=State.IN_PROGRESS)
    job = run_agreement(corpus, gold="")
    assert job.state == Job.State.FAILED
    assert "none of the chosen layers has annotated sentences" in job.error
    assert not AgreementReport.objects.exists()


def test_running_the_job_again_gives_the_same_figures(corpus, report):
    again = AgreementReport.objects.get(job=run_agreement(corpus))
    assert again.pk != report.pk
    assert (again.result, again.cells, again.queue) == (report.result, report.cells, report.queue)
    run_again = Job.objects.get(pk=report.job_id)
    jobs.run_job(run_again.pk)  # a redelivered message of a finished job writes nothing
    assert AgreementReport.objects.count() == 2


def test_a_job_ending_while_the_page_is_drawn_leaves_the_report_or_a_job_that_polls(corpus):
    """The race behind "No agreement report yet until a reload" (issue 11, problem 5): the
    worker commits the report just after the page looked for one. The page must then show the
    job, still polling, so that its end brings the report in; it showed neither."""
    job = jobs.start_job(
        kind="agreement",
        user=corpus.reviewer,
        project=corpus.project,
        params={"layers": LAYERS, "gold": GOLD, "documents": [], "finished_only": True},
    )
    finished = []

    def finish_right_after_the_report_query(execute, sql, params, many, context):
        answer = execute(sql, params, many, context)
        if not finished and "annotator_agreementreport" in sql:
            finished.append(True)  # first, as the job's own queries come through here too
            jobs.run_job(job.pk)  # as the worker would, in that very moment
        return answer

    client = Client()
    client.force_login(corpus.reviewer)
    with connection.execute_wrapper(finish_right_after_the_report_query):
        html = client.get(reverse("annotator-agreement", args=[corpus.project.pk])).content
    html = html.decode()
    assert finished
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE
    shows_report = f"<h2>Agreement of {', '.join(LAYERS)}</h2>" in html
    polls = re.search(rf'id="job-{job.pk}"\s+hx-get="[^"]+" hx-trigger="every 1s"', html)
    assert shows_report or polls, "neither the report nor a job that brings it in"
