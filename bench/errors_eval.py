"""How well the likely-errors ranking finds tags changed on purpose. No Django needed.

Takes a corpus as "clean" (wikiser-small dev if present, else the demo article; both are weakly
labelled, so some of their own tags are wrong and a flagged unchanged token is not always a
false alarm), changes the tags of random entity spans (seeded) until 5% of its entity tags are
changed -- a span's label, its boundary by one token, or the whole span removed -- then runs the
same k-fold CRF + cleanlab pipeline as the job and prints the share of changed tokens among the
top N of the ranking, N being the number changed.

    .venv/bin/python bench/errors_eval.py [--iterations 30] [--folds 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotator.nlp import conll, crf, errors  # noqa: E402
from annotator.nlp.scheme import spans  # noqa: E402

SAMPLE = ROOT.parent / "shared" / "samples" / "wikiser-small" / "dev.conll"
DEMO = ROOT / "annotator" / "demo" / "rnn-wikipedia.conll"


def load(path: Path) -> list[tuple[list[str], list[str]]]:
    with path.open("rb") as stream:
        items = conll.read(stream, path.name)
        return [(s.tokens, s.tags) for s in items if isinstance(s, conll.Sentence)]


def _change(tags: list[str], span, labels: list[str], rng: random.Random) -> None:
    """Change one span's tags in place: relabel it, move a boundary, or remove it."""
    n = len(tags)
    how = rng.choice(["label", "boundary", "remove"])
    if how == "label" and len(labels) > 1:
        other = rng.choice([label for label in labels if label != span.label])
        for i in range(span.start, span.end):
            tags[i] = tags[i][:2] + other
    elif how == "boundary":
        options = []
        if span.end < n and tags[span.end] == "O":
            options.append("grow-right")
        if span.start > 0 and tags[span.start - 1] == "O":
            options.append("grow-left")
        if span.end - span.start > 1:
            options += ["shrink-right", "shrink-left"]
        move = rng.choice(options or ["remove"])
        if move == "grow-right":
            tags[span.end] = "I-" + span.label
        elif move == "grow-left":
            tags[span.start - 1], tags[span.start] = "B-" + span.label, "I-" + span.label
        elif move == "shrink-right":
            tags[span.end - 1] = "O"
        elif move == "shrink-left":
            tags[span.start], tags[span.start + 1] = "O", "B-" + span.label
        else:
            tags[span.start : span.end] = ["O"] * (span.end - span.start)
    else:
        tags[span.start : span.end] = ["O"] * (span.end - span.start)


def corrupt(sentences, share: float, seed: int):
    """A copy with random entity spans changed until `share` of entity tags differ."""
    rng = random.Random(seed)
    noisy = [(tokens, list(tags)) for tokens, tags in sentences]
    entity_tags = sum(tag != "O" for _, tags in sentences for tag in tags)
    labels = sorted({s.label for _, tags in sentences for s in spans(tags, "iob2")})
    candidates = [(i, s) for i, (_, tags) in enumerate(sentences) for s in spans(tags, "iob2")]
    rng.shuffle(candidates)
    changed: set[tuple[int, int]] = set()
    touched: set[int] = set()
    for i, span in candidates:
        if len(changed) >= share * entity_tags:
            break
        if i in touched:  # one change per sentence keeps spans independent
            continue
        touched.add(i)
        _change(noisy[i][1], span, labels, rng)
        original = sentences[i][1]
        changed |= {(i, t) for t, tag in enumerate(noisy[i][1]) if tag != original[t]}
    return noisy, changed, entity_tags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=SAMPLE if SAMPLE.exists() else DEMO)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    clean = load(args.corpus)
    noisy, changed, entity_tags = corrupt(clean, args.share, args.seed)
    tokens = sum(len(t) for t, _ in clean)
    n = len(changed)
    print(f"corpus {args.corpus} ({len(clean)} sentences, {tokens} tokens, weakly labelled)")
    print(f"changed {n} of {entity_tags} entity tags' tokens (seed {args.seed}), N = {n}")
    print(f"{args.folds} folds, {args.iterations} CRF iterations, {args.workers} processes")

    started = time.monotonic()
    marginals = errors.out_of_fold(
        noisy, folds=args.folds, iterations=args.iterations, seed=0, workers=args.workers
    )
    trained = time.monotonic() - started
    classes = errors.tag_classes(noisy)
    predicted = [[classes[j] for j in m.argmax(axis=1)] for m in marginals]
    f1 = crf.evaluate([tags for _, tags in clean], predicted)["micro"]["f1"]
    print(f"out-of-fold training and marginals: {trained:.0f} s; F1 against clean tags {f1:.3f}")

    for method in ("self_confidence", "normalized_margin"):
        started = time.monotonic()
        ranking = errors.rank(noisy, marginals, method=method)
        took = time.monotonic() - started
        top = {(x.sentence, x.token) for x in ranking.issues[:n]}
        found = len(top & changed)
        print(
            f"{method:18} top-{n}: {found / n:.1%} of changed tokens found "
            f"({found}; {len(ranking.issues)} disagreements listed; ranking {took:.1f} s)"
        )
    bad = {i for i, _ in changed}
    worst = set(errors.rank(noisy, marginals).worst_sentences(len(bad)))
    print(f"sentences: {len(worst & bad) / len(bad):.1%} of {len(bad)} changed sentences in top-M")
    started = time.monotonic()
    flagged = errors.flagged(noisy, marginals)
    hits = len(flagged & changed)
    print(
        f"cleanlab find_label_issues: flags {len(flagged)}, {hits / n:.1%} of changed found, "
        f"precision {hits / max(1, len(flagged)):.1%} ({time.monotonic() - started:.1f} s)"
    )
    print(f"random top-{n} would find {n / tokens:.2%}")


if __name__ == "__main__":
    main()
