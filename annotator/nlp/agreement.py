"""Agreement between tag layers of the same sentences: token kappas, alpha, span P/R/F1.

Pure Python and numpy, never Django. `agreement_report` takes every layer of a corpus at once
(annotators, models, an imported layer, gold) and returns a JSON-ready dict.

Definitions (every count of units used is reported beside the measure computed from it):

Input. Each layer has one entry per sentence, aligned across layers; None means that layer
did not annotate the sentence. Where two layers both have a sentence its tag lists must have
the same length (ValueError naming the sentence index otherwise). `gold`, if it names a key of
`layers`, is the reference: it is left out of the annotators compared with each other and
each annotator is compared with it in `against_gold` (a = the annotator, b = gold). A `gold`
that names no layer gives `against_gold == {}`. "sentences" is the number of aligned entries;
"tokens" counts the tokens of sentences that at least one layer (gold included) annotated.

Units are tokens. A token's label is `token_label(tag)`: "O", or the entity type without its
prefix (B-PER, I-PER, E-PER, S-PER, L-PER, U-PER all read "PER"); B/I boundaries are a matter
for the span measures. "labels" lists the entity types seen in any layer, sorted.

Pairs (every unordered pair of annotators, a before b in the given order). "all": the tokens
of sentences both annotated; "tagged": the subset where at least one of the two has a non-O
label. On each, observed = po, the share of tokens with equal labels, and Cohen's kappa =
(po - pe) / (1 - pe) with pe = sum over labels of pa(label) * pb(label), each side's own
label shares on those units. The confusion matrix counts "all" units, rows a's label, columns
b's, in the order ["O", *labels].

Token measures across all annotators ("token"). "units": tokens at least one annotator annotated
("all"), or those where at least one annotator's label is not O ("tagged"). Fleiss' kappa: over
the units every annotator annotated ("fleiss_units"), with n = the number of annotators; P_i =
(sum_c n_ic^2 - n) / (n (n - 1)), P = mean P_i, p_c = the share of their ratings with label c,
Pe = sum_c p_c^2, kappa = (P - Pe) / (1 - Pe). With fewer than two annotators it is None and
fleiss_units 0. Krippendorff's alpha (nominal): every unit, an annotator who did not annotate
the sentence being a missing value; a unit with fewer than two values is not pairable and
"alpha_units" counts the pairable ones. With m_u the values of unit u and n_uc those equal to c,
the coincidences are o_cc = sum_u n_uc (n_uc - 1) / (m_u - 1), n_c = sum_u n_uc and n = sum_c
n_c over pairable units; Do = 1 - sum_c o_cc / n, De = (n^2 - sum_c n_c^2) / (n (n - 1)),
alpha = 1 - Do / De. "observed" = 1 - Do = sum_c o_cc / n: the share of agreeing ordered pairs of
values within units, each unit weighted by its number of values (with the same number of
annotators everywhere it is Fleiss' P).

Spans are decoded as `scheme.spans` does (the lenient conlleval reading, which gives each prefix
the same meaning in every scheme), per sentence, over the sentences both sides annotated. Exact:
a span of a matches a span of b with the same (start, end, label). Overlap: a span matches when
a span of the other side with the same label shares at least one token with it. tp_a = spans of
a that match, tp_b = spans of b that match (equal for exact, not always for overlap). a is read
as the prediction and b as the reference: precision = tp_a / a, recall = tp_b / b ("precision of
b against a" is this recall), f1 = 2 p r / (p + r), 0 when p + r = 0, an undefined p or r
counting as 0 (it is then 0 anyway: no spans on one side means no matches on the other). For
exact matches f1 = 2 tp / (a + b), so it is symmetric. per_label lists every label of "labels".
Micro sums a, b, tp_a, tp_b over labels first. Macro averages the per-label precision, recall
and f1 over the labels where each is defined, each on its own (so a label only b used counts in
the recall and f1 averages, not precision).

Undefined values are None, never NaN: observed with no units; kappa when pe (Pe) is 1, i.e.
both sides (all annotators) used one label only, or with no units; alpha when the pairable
values all carry one label (De = 0); precision / recall when a / b is 0; f1 when a = b = 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from annotator.nlp.scheme import SCHEMES, parse_tag

Layer = Sequence[Sequence[str] | None]


def token_label(tag: str) -> str:
    """The entity type without its prefix ("B-PER", "S-PER" -> "PER"); "O" for O."""
    return parse_tag(tag)[1] or "O"


@dataclass
class _Spans:
    """One layer's spans in token positions of the whole corpus, sorted by start."""

    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray

    def where(self, keep: np.ndarray) -> _Spans:
        return _Spans(self.starts[keep], self.ends[keep], self.labels[keep])


@dataclass
class _Corpus:
    """Every layer as one array of label codes over all tokens (-1: sentence not annotated).

    Code 0 is "O", codes 1.. are `labels` in order. Sentences are laid end to end, so one token
    position means the same token in every layer and spans compare by their positions.
    """

    sentences: int
    tokens: int
    labels: list[str]
    codes: dict[str, np.ndarray]
    spans: dict[str, _Spans]


def _sentence_lengths(layers: dict[str, Layer]) -> np.ndarray:
    """Tokens per sentence; ValueError where layers disagree on a count."""
    counts = {name: len(sentences) for name, sentences in layers.items()}
    if len(set(counts.values())) > 1:
        raise ValueError(f"layers have different numbers of sentences: {counts}")
    per_layer = {
        name: np.array([-1 if s is None else len(s) for s in sentences], dtype=np.int64)
        for name, sentences in layers.items()
    }
    longest = np.maximum.reduce(list(per_layer.values())) if per_layer else np.zeros(0, int)
    for name, lengths in per_layer.items():
        bad = np.flatnonzero((lengths >= 0) & (lengths != longest))
        if len(bad):
            i = int(bad[0])
            raise ValueError(
                f"sentence {i}: layer {name!r} has {lengths[i]} tags where another layer has "
                f"{longest[i]}"
            )
    return np.maximum(longest, 0)


def _tag_tables(tags: set[str]) -> tuple[dict[str, int], list[str], np.ndarray, np.ndarray]:
    """Index of each distinct tag, the sorted labels, and per tag index (plus one last entry
    for "not annotated"): its label code and its span role (1 opens, 2 continues, 3 both)."""
    parsed = {tag: parse_tag(tag) for tag in tags}
    labels = sorted({label for _, label in parsed.values() if label is not None})
    code = {label: i for i, label in enumerate(labels, start=1)}
    index = {tag: i for i, tag in enumerate(parsed)}
    label_of = np.full(len(index) + 1, -1, dtype=np.int32)
    role_of = np.zeros(len(index) + 1, dtype=np.int8)
    for tag, i in index.items():
        prefix, label = parsed[tag]
        label_of[i] = 0 if label is None else code[label]
        # As scheme.spans: B/I leave a span open; I/E/L continue an open one of the same label.
        role_of[i] = (prefix in ("B", "I")) + 2 * (prefix in ("I", "E", "L"))
    return index, labels, label_of, role_of


def _decode_spans(labels: np.ndarray, roles: np.ndarray, first: np.ndarray) -> _Spans:
    """scheme.spans over the whole layer at once: a token continues the span before it when
    it is I/E/L, the token before is B/I with the same label, and no sentence starts here."""
    entity = labels > 0
    continues = np.zeros(len(labels), dtype=bool)
    continues[1:] = (
        (roles[1:] >= 2) & (roles[:-1] % 2 == 1) & (labels[1:] == labels[:-1]) & entity[1:]
    )
    continues[first] = False
    last = entity.copy()
    last[:-1] &= ~continues[1:]
    starts = np.flatnonzero(entity & ~continues)
    return _Spans(starts, np.flatnonzero(last) + 1, labels[starts])


def _encode(layers: dict[str, Layer]) -> _Corpus:
    lengths = _sentence_lengths(layers)
    first = (np.cumsum(lengths) - lengths)[lengths > 0]
    tokens = int(lengths.sum())
    flat = {
        name: list(itertools.chain.from_iterable(s for s in sentences if s is not None))
        for name, sentences in layers.items()
    }
    index, labels, label_of, role_of = _tag_tables(set().union(*flat.values()))
    codes, found = {}, {}
    for name, sentences in layers.items():
        tag_codes = np.full(tokens, len(index), dtype=np.int32)  # the "not annotated" entry
        annotated = np.array([s is not None for s in sentences], dtype=bool)
        tag_codes[np.repeat(annotated, lengths)] = np.fromiter(
            map(index.__getitem__, flat.pop(name)), dtype=np.int32, count=-1
        )
        codes[name] = label_of[tag_codes]
        found[name] = _decode_spans(codes[name], role_of[tag_codes], first)
    return _Corpus(len(lengths), tokens, labels, codes, found)


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator / denominator) if denominator else None


def _kappa(observed_num: int, expected_num: int, total: int) -> float | None:
    """(po - pe) / (1 - pe) from po = observed_num / total and pe = expected_num / total^2,
    in integers so that pe == 1 is recognised exactly."""
    denominator = total * total - expected_num
    if not total or not denominator:
        return None
    return float((observed_num * total - expected_num) / denominator)


def _cohen(confusion: np.ndarray) -> dict:
    total = int(confusion.sum())
    rows, columns = confusion.sum(axis=1).tolist(), confusion.sum(axis=0).tolist()
    agreeing = int(np.trace(confusion))
    expected = sum(r * c for r, c in zip(rows, columns, strict=True))
    return {
        "units": total,
        "observed": _ratio(agreeing, total),
        "kappa": _kappa(agreeing, expected, total),
    }


def _f1(precision: float | None, recall: float | None) -> float:
    p, r = precision or 0.0, recall or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def _scores(a: int, b: int, tp_a: int, tp_b: int) -> dict:
    precision, recall = _ratio(tp_a, a), _ratio(tp_b, b)
    f1 = _f1(precision, recall) if a or b else None
    return {
        "a": a,
        "b": b,
        "tp_a": tp_a,
        "tp_b": tp_b,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def _mean_defined(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _span_table(a: _Spans, b: _Spans, hit_a: np.ndarray, hit_b: np.ndarray, labels: list[str]):
    k = len(labels) + 1
    counts = [
        np.bincount(values, minlength=k).tolist()
        for values in (a.labels, b.labels, a.labels[hit_a], b.labels[hit_b])
    ]
    per_label = {label: _scores(*(c[i] for c in counts)) for i, label in enumerate(labels, 1)}
    micro = _scores(*(sum(c) for c in counts))
    macro = {
        key: _mean_defined([scores[key] for scores in per_label.values()])
        for key in ("precision", "recall", "f1")
    }
    return {"per_label": per_label, "micro": micro, "macro": macro}


def _exact_hits(a: _Spans, b: _Spans) -> np.ndarray:
    """Which spans of a have a span of b with the same start, end and label. Starts are
    unique within a layer (its spans never overlap), so the candidate is found by start."""
    if not len(b.starts):
        return np.zeros(len(a.starts), dtype=bool)
    i = np.minimum(np.searchsorted(b.starts, a.starts), len(b.starts) - 1)
    return (b.starts[i] == a.starts) & (b.ends[i] == a.ends) & (b.labels[i] == a.labels)


def _overlap_hits(a: _Spans, b: _Spans, width: int) -> np.ndarray:
    """Which spans of a share a token with a span of b of the same label. b's spans of one
    label never overlap, so sorted by start their ends increase too: the last one starting
    before a span's end overlaps it if any does."""
    if not len(b.starts):
        return np.zeros(len(a.starts), dtype=bool)
    keys = b.labels.astype(np.int64) * width + b.starts
    order = np.argsort(keys, kind="stable")
    i = np.searchsorted(keys[order], a.labels.astype(np.int64) * width + a.ends) - 1
    j = order[np.maximum(i, 0)]
    return (i >= 0) & (b.labels[j] == a.labels) & (b.ends[j] > a.starts)


def _compare(corpus: _Corpus, a_name: str, b_name: str) -> dict:
    """Everything reported for one pair: a against b."""
    a_codes, b_codes = corpus.codes[a_name], corpus.codes[b_name]
    both = (a_codes >= 0) & (b_codes >= 0)
    k = len(corpus.labels) + 1
    confusion = np.bincount(a_codes[both] * k + b_codes[both], minlength=k * k).reshape(k, k)
    tagged = confusion.copy()
    tagged[0, 0] = 0  # both O: the only units "tagged" leaves out
    a = corpus.spans[a_name].where(both[corpus.spans[a_name].starts])
    b = corpus.spans[b_name].where(both[corpus.spans[b_name].starts])
    width = corpus.tokens + 1
    return {
        "a": a_name,
        "b": b_name,
        "token": {"all": _cohen(confusion), "tagged": _cohen(tagged)},
        "span": {
            "exact": _span_table(a, b, _exact_hits(a, b), _exact_hits(b, a), corpus.labels),
            "overlap": _span_table(
                a, b, _overlap_hits(a, b, width), _overlap_hits(b, a, width), corpus.labels
            ),
        },
        "confusion": {"labels": ["O", *corpus.labels], "matrix": confusion.tolist()},
    }


def _fleiss(columns: list[np.ndarray], counts: np.ndarray, agree: np.ndarray, k: int):
    """Fleiss' kappa over the units every annotator has, and how many those are."""
    n = len(columns)
    full = counts == n
    units = int(full.sum())
    if n < 2 or not units:
        return None, (units if n >= 2 else 0)
    # sum_i sum_c n_ic^2 = N n + 2 * (agreeing unordered pairs of ratings)
    observed = (2 * int(agree[full].sum())) / (units * n * (n - 1))
    totals = sum(np.bincount(column[full], minlength=k) for column in columns).tolist()
    expected_num, ratings = sum(t * t for t in totals), units * n
    if expected_num == ratings * ratings:
        return None, units
    expected = expected_num / (ratings * ratings)
    return float((observed - expected) / (1 - expected)), units


def _alpha(columns: list[np.ndarray], counts: np.ndarray, agree: np.ndarray, k: int):
    """Krippendorff's nominal alpha, 1 - Do, and the number of pairable units."""
    pairable = counts >= 2
    units = int(pairable.sum())
    n_c = sum(np.bincount(c[pairable & (c >= 0)], minlength=k) for c in columns)
    n = int(np.sum(n_c))
    if not n:
        return None, None, units
    # o_cc summed over c: each unit's agreeing ordered pairs (2 * agree) over m_u - 1.
    coinciding = sum(
        2 * int(agree[counts == m].sum()) / (m - 1) for m in range(2, len(columns) + 1)
    )
    disagreement = n * n - sum(v * v for v in np.asarray(n_c).tolist())
    alpha = 1 - (n - 1) * (n - coinciding) / disagreement if disagreement else None
    return alpha, coinciding / n, units


def _group(columns: list[np.ndarray], k: int) -> dict:
    """Fleiss and alpha over the given units: one label code per annotator, -1 missing."""
    length = len(columns[0]) if columns else 0
    present = [column >= 0 for column in columns]
    counts = np.zeros(length, dtype=np.int32)
    for mask in present:
        counts += mask
    agree = np.zeros(length, dtype=np.int32)  # agreeing unordered pairs of values per unit
    for i, j in itertools.combinations(range(len(columns)), 2):
        agree += (columns[i] == columns[j]) & present[i]
    fleiss, fleiss_units = _fleiss(columns, counts, agree, k)
    alpha, observed, alpha_units = _alpha(columns, counts, agree, k)
    return {
        "units": int((counts > 0).sum()),
        "observed": observed,
        "fleiss_kappa": fleiss,
        "fleiss_units": fleiss_units,
        "alpha": alpha,
        "alpha_units": alpha_units,
    }


def _token_measures(corpus: _Corpus, annotators: list[str]) -> dict:
    columns = [corpus.codes[name] for name in annotators]
    k = len(corpus.labels) + 1
    tagged = np.zeros(corpus.tokens, dtype=bool)
    for column in columns:
        tagged |= column > 0
    return {"all": _group(columns, k), "tagged": _group([c[tagged] for c in columns], k)}


def agreement_report(layers: dict[str, Layer], *, scheme: str = "iob2", gold: str | None = None):
    """Token and span agreement between the layers' annotators, and against `gold`.

    See the module docstring for every definition; the result is plain JSON-ready data.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r} (expected one of {', '.join(SCHEMES)})")
    corpus = _encode(layers)
    annotators = [name for name in layers if name != gold]
    has_gold = gold is not None and gold in layers
    return {
        "annotators": annotators,
        "labels": corpus.labels,
        "sentences": corpus.sentences,
        "tokens": corpus.tokens,
        "token": _token_measures(corpus, annotators),
        "pairs": [_compare(corpus, a, b) for a, b in itertools.combinations(annotators, 2)],
        "against_gold": {a: _compare(corpus, a, gold) for a in annotators} if has_gold else {},
    }
