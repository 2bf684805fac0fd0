"""Agreement measures: pure tests, no Django and no database.

Every measure is checked against an independent reference -- scikit-learn for Cohen's kappa
and the confusion matrix, statsmodels for Fleiss' kappa, the krippendorff package for alpha,
seqeval for exact span scores, and plain nested loops written here for overlap scores and
unit counts -- on hand-built layers, on a larger seeded corpus and on generated layers.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import precision_recall_fscore_support
from sklearn.metrics import cohen_kappa_score, confusion_matrix
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from annotator.nlp.agreement import agreement_report, token_label
from annotator.nlp.scheme import SCHEMES, TagError, spans

REPO_ROOT = Path(__file__).resolve().parents[2]


def T(text: str) -> list[str]:
    """Tags from a space-separated string, so the layers read like the CoNLL tag column."""
    return text.split()


# ann and bob disagree on labels and boundaries; cat says O everywhere; only ann uses MISC;
# ann skipped sentence 2, cat sentence 3; gold is the reference.
FIXED = {
    "ann": [T("B-PER I-PER O B-LOC O"), T("O O B-ORG"), None, T("B-MISC O O O O O")],
    "bob": [T("B-PER O O B-ORG O"), T("O O B-ORG"), T("B-LOC I-LOC O O"), T("O B-PER I-PER O O O")],
    "cat": [T("O O O O O"), T("O O O"), T("O O O O"), None],
    "gold": [T("B-PER I-PER O B-LOC O"), T("O O B-ORG"), T("B-LOC I-LOC O O"), T("O O O O O O")],
}


def seeded_layers(seed: int = 5, sentences: int = 300) -> dict[str, list[list[str] | None]]:
    """Four annotators copying a random reference with changes, skipping some sentences."""
    rng = random.Random(seed)
    tags = ["B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC"]
    layers: dict[str, list] = {name: [] for name in ("ann", "bob", "cat", "dan")}
    for _ in range(sentences):
        truth = [rng.choice(tags) if rng.random() < 0.3 else "O" for _ in range(rng.randint(1, 15))]
        for name in layers:
            read = [rng.choice([*tags, "O"]) if rng.random() < 0.1 else t for t in truth]
            layers[name].append(None if rng.random() < 0.1 else read)
    return layers


CORPORA = [pytest.param(FIXED, id="fixed"), pytest.param(seeded_layers(), id="seeded")]
NAMES = ("ann", "bob", "cat", "dan")
IOB2_TAGS = ("O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
ANY_SCHEME_TAGS = ("O", "O", "B-PER", "I-PER", "E-PER", "S-PER", "L-PER", "U-PER", "B-LOC", "I-LOC")


@st.composite
def random_layers(draw, tags=IOB2_TAGS, min_annotators: int = 2) -> dict[str, list]:
    """2-4 annotators over up to 6 sentences of 0-7 tokens, any of them possibly skipped."""
    count = draw(st.integers(min_annotators, len(NAMES)))
    lengths = draw(st.lists(st.integers(0, 7), min_size=1, max_size=6))
    return {
        name: [
            draw(st.none() | st.lists(st.sampled_from(tags), min_size=n, max_size=n))
            for n in lengths
        ]
        for name in NAMES[:count]
    }


# --- references, written without the module's code ---------------------------------------


def shared_sentences(layers: dict, names) -> list[int]:
    return [i for i in range(len(layers[names[0]])) if all(layers[n][i] is not None for n in names)]


def pair_labels(layers: dict, a: str, b: str, tagged: bool = False) -> tuple[list, list]:
    """Token labels of a and b over the sentences both annotated (optionally not both O)."""
    x, y = [], []
    for i in shared_sentences(layers, (a, b)):
        for tag_a, tag_b in zip(layers[a][i], layers[b][i], strict=True):
            la, lb = token_label(tag_a), token_label(tag_b)
            if not tagged or la != "O" or lb != "O":
                x.append(la)
                y.append(lb)
    return x, y


def unit_values(layers: dict, names) -> list[list[str | None]]:
    """One row per token position: each annotator's label there, None where it is missing."""
    rows = []
    for i in range(len(layers[names[0]])):
        present = [layers[n][i] for n in names if layers[n][i] is not None]
        if not present:
            continue
        for position in range(len(present[0])):
            rows.append(
                [
                    None if layers[n][i] is None else token_label(layers[n][i][position])
                    for n in names
                ]
            )
    return rows


def is_tagged(row: list[str | None]) -> bool:
    return any(value not in (None, "O") for value in row)


def the_pair(report: dict, a: str, b: str) -> dict:
    return next(p for p in report["pairs"] if (p["a"], p["b"]) == (a, b))


def approx(value: float | None) -> object:
    return None if value is None else pytest.approx(value, abs=1e-9)


def check_pair_kappas(layers: dict, report: dict) -> None:
    for pair in report["pairs"]:
        for subset in ("all", "tagged"):
            x, y = pair_labels(layers, pair["a"], pair["b"], tagged=subset == "tagged")
            measured = pair["token"][subset]
            assert measured["units"] == len(x)
            if not x:
                assert measured["observed"] is None and measured["kappa"] is None
                continue
            assert measured["observed"] == approx(
                sum(p == q for p, q in zip(x, y, strict=True)) / len(x)
            )
            if len(set(x)) == len(set(y)) == 1 and x[0] == y[0]:
                assert measured["kappa"] is None  # pe == 1: both used the same single label
            else:
                assert measured["kappa"] == approx(cohen_kappa_score(x, y))


def check_confusion(layers: dict, report: dict) -> None:
    order = ["O", *report["labels"]]
    for pair in report["pairs"]:
        x, y = pair_labels(layers, pair["a"], pair["b"])
        assert pair["confusion"]["labels"] == order
        if len(order) == 1:  # sklearn warns that a 1 x 1 matrix may lack labels: it does not
            assert pair["confusion"]["matrix"] == [[len(x)]]
            continue
        expected = confusion_matrix(x, y, labels=order) if x else np.zeros((len(order),) * 2)
        assert pair["confusion"]["matrix"] == expected.tolist()


def check_fleiss(layers: dict, report: dict) -> None:
    names = report["annotators"]
    for subset in ("all", "tagged"):
        rows = [r for r in unit_values(layers, names) if None not in r]
        rows = [r for r in rows if subset == "all" or is_tagged(r)]
        measured = report["token"][subset]
        assert measured["fleiss_units"] == len(rows)
        if not rows or len({v for r in rows for v in r}) == 1:
            assert measured["fleiss_kappa"] is None  # no units, or Pe == 1
        else:
            table, _ = aggregate_raters(np.array(rows))
            assert measured["fleiss_kappa"] == approx(fleiss_kappa(table, method="fleiss"))


def check_alpha(layers: dict, report: dict) -> None:
    names = report["annotators"]
    for subset in ("all", "tagged"):
        rows = [r for r in unit_values(layers, names) if subset == "all" or is_tagged(r)]
        pairable = [[v for v in r if v is not None] for r in rows]
        pairable = [values for values in pairable if len(values) >= 2]
        measured = report["token"][subset]
        assert measured["units"] == len(rows)
        assert measured["alpha_units"] == len(pairable)
        if not pairable:
            assert measured["alpha"] is None and measured["observed"] is None
            continue
        # 1 - Do by its definition: agreeing ordered pairs in each unit over m_u - 1, over n.
        coinciding = sum(
            sum(p == q for i, p in enumerate(vs) for j, q in enumerate(vs) if i != j)
            / (len(vs) - 1)
            for vs in pairable
        )
        assert measured["observed"] == approx(coinciding / sum(map(len, pairable)))
        if len({v for values in pairable for v in values}) == 1:
            assert measured["alpha"] is None  # De == 0
            continue
        codes = {label: float(i) for i, label in enumerate(["O", *report["labels"]])}
        data = [
            [math.nan if r[j] is None else codes[r[j]] for r in rows] for j in range(len(names))
        ]
        reference = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert measured["alpha"] == approx(reference)


def shared_tags(layers: dict, a: str, b: str) -> tuple[list, list]:
    keep = shared_sentences(layers, (a, b))
    return [list(layers[a][i]) for i in keep], [list(layers[b][i]) for i in keep]


def check_exact_spans_with_seqeval(layers: dict, report: dict) -> None:
    for pair in [*report["pairs"], *report["against_gold"].values()]:
        predicted, true = shared_tags(layers, pair["a"], pair["b"])
        exact = pair["span"]["exact"]
        names = sorted({label for label, s in exact["per_label"].items() if s["a"] or s["b"]})
        if not names:
            assert exact["micro"]["f1"] is None
            continue
        ours = [exact["per_label"][label] for label in names]
        p, r, f, support = precision_recall_fscore_support(true, predicted, zero_division=0)
        assert [s["precision"] or 0 for s in ours] == pytest.approx(list(p))
        assert [s["recall"] or 0 for s in ours] == pytest.approx(list(r))
        assert [s["f1"] for s in ours] == pytest.approx(list(f))
        assert [s["b"] for s in ours] == list(support)
        for average in ("micro", "macro"):
            p, r, f, _ = precision_recall_fscore_support(
                true, predicted, average=average, zero_division=0
            )
            assert exact[average]["f1"] == pytest.approx(f)
            if average == "micro":
                assert [exact["micro"]["precision"] or 0, exact["micro"]["recall"] or 0] == (
                    pytest.approx([p, r])
                )


def brute_force_spans(layers: dict, a: str, b: str, scheme: str, labels: list[str]) -> dict:
    """Exact and overlap counts per label by nested loops over scheme.spans, sentence by
    sentence, and the precision / recall / f1 that follow from them."""
    counts = {
        kind: {label: {"a": 0, "b": 0, "tp_a": 0, "tp_b": 0} for label in labels}
        for kind in ("exact", "overlap")
    }

    def matches(x, y, kind: str) -> bool:
        if kind == "exact":
            return (x.start, x.end, x.label) == (y.start, y.end, y.label)
        return x.label == y.label and x.start < y.end and y.start < x.end

    for i in shared_sentences(layers, (a, b)):
        spans_a, spans_b = spans(layers[a][i], scheme), spans(layers[b][i], scheme)
        for kind, table in counts.items():
            for side, mine, theirs in (("a", spans_a, spans_b), ("b", spans_b, spans_a)):
                for x in mine:
                    table[x.label][side] += 1
                    table[x.label][f"tp_{side}"] += any(matches(x, y, kind) for y in theirs)
    return {kind: scored(table) for kind, table in counts.items()}


def scored(table: dict) -> dict:
    def score(c: dict) -> dict:
        p = c["tp_a"] / c["a"] if c["a"] else None
        r = c["tp_b"] / c["b"] if c["b"] else None
        f1 = None
        if c["a"] or c["b"]:  # one side without spans: the other's score is 0, and so is f1
            f1 = 2 * p * r / (p + r) if p and r else 0.0
        return {**c, "precision": p, "recall": r, "f1": f1}

    per_label = {label: score(c) for label, c in table.items()}
    micro = score({key: sum(c[key] for c in table.values()) for key in ("a", "b", "tp_a", "tp_b")})
    macro = {}
    for key in ("precision", "recall", "f1"):
        defined = [s[key] for s in per_label.values() if s[key] is not None]
        macro[key] = sum(defined) / len(defined) if defined else None
    return {"per_label": per_label, "micro": micro, "macro": macro}


def approx_tree(tree):
    if isinstance(tree, dict):
        return {key: approx_tree(value) for key, value in tree.items()}
    return pytest.approx(tree, abs=1e-12) if isinstance(tree, float) else tree


def check_spans_by_brute_force(layers: dict, report: dict, scheme: str) -> None:
    for pair in [*report["pairs"], *report["against_gold"].values()]:
        expected = brute_force_spans(layers, pair["a"], pair["b"], scheme, report["labels"])
        assert pair["span"] == approx_tree(expected)


def plain_json(value) -> bool:
    """Only dict/list/str/int/float/bool/None, no NaN: what json.dumps(allow_nan=False) takes."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_json(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or type(value) in (str, int, bool)


# --- the module ----------------------------------------------------------------------------


def test_the_agreement_modules_import_without_django() -> None:
    code = (
        "import sys; import annotator.nlp.agreement, annotator.nlp.adjudication; "
        "assert 'django' not in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("tag", "label"),
    [("O", "O"), ("B-PER", "PER"), ("I-PER", "PER"), ("E-PER", "PER"), ("S-PER", "PER"),
     ("L-PER", "PER"), ("U-PER", "PER"), ("B-Data-Structure", "Data-Structure")],
)  # fmt: skip
def test_a_token_label_is_the_entity_type_without_its_prefix(tag: str, label: str) -> None:
    assert token_label(tag) == label


def test_a_malformed_tag_is_reported_not_counted() -> None:
    with pytest.raises(TagError):
        agreement_report({"ann": [T("B-PER")], "bob": [T("PER")]})


def test_an_unknown_scheme_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown scheme"):
        agreement_report({"ann": [T("O")], "bob": [T("O")]}, scheme="bio")


def test_sentences_of_different_lengths_are_rejected_naming_the_sentence() -> None:
    layers = {"ann": [T("O"), T("O B-PER")], "bob": [T("O"), T("O B-PER O")], "cat": [None, None]}
    with pytest.raises(ValueError, match="sentence 1: "):
        agreement_report(layers)


def test_layers_with_different_numbers_of_sentences_are_rejected() -> None:
    with pytest.raises(ValueError, match="different numbers of sentences"):
        agreement_report({"ann": [T("O"), T("O")], "bob": [T("O")]})


def test_the_report_counts_sentences_tokens_and_lists_labels_and_annotators() -> None:
    report = agreement_report(FIXED, gold="gold")
    assert report["annotators"] == ["ann", "bob", "cat"]
    assert report["labels"] == ["LOC", "MISC", "ORG", "PER"]
    assert (report["sentences"], report["tokens"]) == (4, 18)
    assert [(p["a"], p["b"]) for p in report["pairs"]] == [
        ("ann", "bob"),
        ("ann", "cat"),
        ("bob", "cat"),
    ]
    assert list(report["against_gold"]) == ["ann", "bob", "cat"]
    # Every token some annotator has is a unit; Fleiss only has the sentences all three have.
    assert report["token"]["all"]["units"] == 18
    assert report["token"]["all"]["fleiss_units"] == 8
    assert report["token"]["all"]["alpha_units"] == 18
    assert report["token"]["tagged"]["units"] == 9


def scores(a, b, tp_a, tp_b, precision, recall, f1) -> dict:
    return {"a": a, "b": b, "tp_a": tp_a, "tp_b": tp_b, "precision": precision,
            "recall": recall, "f1": f1}  # fmt: skip


def test_the_fixed_layers_give_the_hand_counted_pair_scores() -> None:
    pair = the_pair(agreement_report(FIXED), "ann", "bob")
    # Sentences 0, 1 and 3 (ann skipped 2): 14 tokens, 9 agree; 7 are not O on some side,
    # 2 of those agree.
    assert pair["token"]["all"]["units"] == 14
    assert pair["token"]["all"]["observed"] == pytest.approx(9 / 14)
    assert pair["token"]["tagged"]["units"] == 7
    assert pair["token"]["tagged"]["observed"] == pytest.approx(2 / 7)
    exact = pair["span"]["exact"]
    assert exact["per_label"]["PER"] == scores(1, 2, 0, 0, 0.0, 0.0, 0.0)
    assert exact["per_label"]["MISC"] == scores(1, 0, 0, 0, 0.0, None, 0.0)  # only ann uses it
    assert exact["per_label"]["ORG"] == scores(1, 2, 1, 1, 1.0, 0.5, pytest.approx(2 / 3))
    assert exact["micro"] == scores(4, 4, 1, 1, 0.25, 0.25, 0.25)
    overlap = pair["span"]["overlap"]
    assert overlap["per_label"]["PER"]["tp_a"] == 1 and overlap["per_label"]["PER"]["tp_b"] == 1
    # ann has spans of every label, so macro precision averages all four: PER 0, ORG 1,
    # LOC 0, MISC 0. bob has no LOC or MISC span: macro recall averages PER 0 and ORG 1/2.
    assert exact["macro"]["precision"] == pytest.approx(1 / 4)
    assert exact["macro"]["recall"] == pytest.approx(1 / 4)


@pytest.mark.parametrize("layers", CORPORA)
def test_pair_kappa_and_observed_agreement_match_sklearn(layers: dict) -> None:
    check_pair_kappas(layers, agreement_report(layers, gold="gold"))


@pytest.mark.parametrize("layers", CORPORA)
def test_the_confusion_matrix_matches_sklearn(layers: dict) -> None:
    check_confusion(layers, agreement_report(layers, gold="gold"))


@pytest.mark.parametrize("layers", CORPORA)
def test_fleiss_kappa_matches_statsmodels(layers: dict) -> None:
    check_fleiss(layers, agreement_report(layers, gold="gold"))


@pytest.mark.parametrize("layers", CORPORA)
def test_krippendorff_alpha_matches_the_krippendorff_package(layers: dict) -> None:
    check_alpha(layers, agreement_report(layers, gold="gold"))


@pytest.mark.parametrize("layers", CORPORA)
def test_exact_span_scores_match_seqeval(layers: dict) -> None:
    check_exact_spans_with_seqeval(layers, agreement_report(layers, gold="gold"))


@pytest.mark.parametrize("layers", CORPORA)
def test_span_scores_match_a_brute_force_count(layers: dict) -> None:
    check_spans_by_brute_force(layers, agreement_report(layers, gold="gold"), "iob2")


@settings(max_examples=150, deadline=None)
@given(random_layers())
def test_token_measures_match_their_references_on_random_layers(layers: dict) -> None:
    report = agreement_report(layers)
    check_pair_kappas(layers, report)
    check_confusion(layers, report)
    check_fleiss(layers, report)
    check_alpha(layers, report)


@settings(max_examples=150, deadline=None)
@given(random_layers())
def test_span_scores_match_seqeval_and_brute_force_on_random_layers(layers: dict) -> None:
    report = agreement_report(layers)
    check_exact_spans_with_seqeval(layers, report)
    check_spans_by_brute_force(layers, report, "iob2")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(SCHEMES), random_layers(tags=ANY_SCHEME_TAGS))
def test_spans_are_read_as_scheme_spans_reads_them_in_every_scheme(scheme: str, layers) -> None:
    check_spans_by_brute_force(layers, agreement_report(layers, scheme=scheme), scheme)


def test_mostly_o_tokens_lift_the_all_tokens_agreement_above_the_tagged_one() -> None:
    o = ["O"] * 20
    layers = {
        "ann": [[*o, "B-PER", "I-PER", "O"], [*o, "B-LOC"]],
        "bob": [[*o, "B-PER", "O", "B-ORG"], [*o, "B-ORG"]],
    }
    report = agreement_report(layers)
    pair = report["pairs"][0]["token"]
    assert (pair["all"]["units"], pair["tagged"]["units"]) == (44, 4)
    assert pair["all"]["observed"] == pytest.approx(41 / 44)
    assert pair["tagged"]["observed"] == pytest.approx(1 / 4)
    assert pair["all"]["kappa"] > 0.3 > pair["tagged"]["kappa"]
    group = report["token"]
    assert (group["all"]["alpha_units"], group["tagged"]["alpha_units"]) == (44, 4)
    assert group["all"]["alpha"] > group["tagged"]["alpha"]


def test_kappa_is_none_not_nan_when_everyone_says_o() -> None:
    layers = {"ann": [T("O O O")], "bob": [T("O O O")], "cat": [T("O O O")]}
    report = agreement_report(layers)
    assert report["pairs"][0]["token"]["all"] == {"units": 3, "observed": 1.0, "kappa": None}
    assert report["pairs"][0]["token"]["tagged"] == {"units": 0, "observed": None, "kappa": None}
    assert report["token"]["all"]["fleiss_kappa"] is None
    assert report["token"]["all"]["alpha"] is None
    assert report["token"]["all"]["observed"] == 1.0
    assert report["pairs"][0]["span"]["exact"]["micro"]["f1"] is None
    json.dumps(report, allow_nan=False)


def test_kappa_is_none_when_the_two_never_annotated_the_same_sentence() -> None:
    layers = {"ann": [T("B-PER"), None], "bob": [None, T("B-LOC")]}
    report = agreement_report(layers)
    assert report["pairs"][0]["token"]["all"] == {"units": 0, "observed": None, "kappa": None}
    assert report["token"]["all"]["units"] == 2
    assert report["token"]["all"]["alpha_units"] == 0
    assert report["token"]["all"]["fleiss_units"] == 0


def test_one_annotator_has_no_pairs_fleiss_or_alpha() -> None:
    report = agreement_report({"ann": [T("B-PER O")], "gold": [T("B-PER O")]}, gold="gold")
    assert report["pairs"] == []
    assert report["token"]["all"]["units"] == 2
    assert report["token"]["all"]["fleiss_kappa"] is None
    assert report["token"]["all"]["fleiss_units"] == 0
    assert report["token"]["all"]["alpha"] is None
    assert report["against_gold"]["ann"]["span"]["exact"]["micro"]["f1"] == 1.0


def test_gold_is_compared_with_each_annotator_and_not_counted_as_one() -> None:
    with_gold = agreement_report(FIXED, gold="gold")
    everyone = agreement_report(FIXED)
    assert "gold" not in with_gold["annotators"]
    assert all("gold" not in (p["a"], p["b"]) for p in with_gold["pairs"])
    for name in ("ann", "bob", "cat"):
        assert with_gold["against_gold"][name] == the_pair(everyone, name, "gold")
    assert with_gold["against_gold"]["ann"]["b"] == "gold"
    assert with_gold["against_gold"]["ann"]["token"]["all"]["units"] == 14


def test_against_gold_is_empty_without_a_gold_layer() -> None:
    assert agreement_report(FIXED)["against_gold"] == {}
    assert agreement_report(FIXED, gold="missing")["against_gold"] == {}


@pytest.mark.parametrize("layers", CORPORA)
def test_the_report_is_plain_json_without_nan(layers: dict) -> None:
    report = agreement_report(layers, gold="gold")
    assert plain_json(report)
    json.dumps(report, allow_nan=False)


def test_no_layers_give_an_empty_report() -> None:
    report = agreement_report({})
    assert (report["annotators"], report["sentences"], report["tokens"]) == ([], 0, 0)
    assert report["token"]["all"]["units"] == 0 and report["pairs"] == []


def test_pairs_cover_every_unordered_pair_in_the_given_order() -> None:
    layers = {name: [T("O")] for name in ("dan", "ann", "cat")}
    pairs = [(p["a"], p["b"]) for p in agreement_report(layers)["pairs"]]
    assert pairs == list(combinations(["dan", "ann", "cat"], 2))
