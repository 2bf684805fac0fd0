"""How well the likely-errors finder finds errors planted in human-labelled corpora. No Django.

For each corpus (wnut17 train+dev+test, crossner-ai train+dev+test: human-annotated; and
wikiser-small dev, weakly labelled, so some of its own tags are wrong and a flagged unchanged
token is not always a false alarm), `annotator.nlp.noise.corrupt` changes 5% of the entity spans
(seeded: half another type, a quarter dropped, a quarter one boundary moved by one token), then
the same code as the job (`likely_errors.out_of_fold`, `likely_errors.rank`) ranks the tokens.
Reported:
- token recall at N and 2N: the share of changed tokens among the first N (2N) listed issues,
  N being the number of changed tokens;
- sentence recall at K: the share of changed sentences among the K worst sentences, K being
  the number of changed sentences;
- per kind of change, the share of its tokens in the top N.

    .venv/bin/python bench/errors_eval.py [--corpus crossner-ai] [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import shared_samples  # noqa: E402

from annotator.nlp import conll, crf, likely_errors, noise  # noqa: E402

SEED = 13
CORPORA = {
    "wnut17": ("wnut17/train.conll", "wnut17/dev.conll", "wnut17/test.conll"),
    "crossner-ai": ("crossner-ai/train.conll", "crossner-ai/dev.conll", "crossner-ai/test.conll"),
    "wikiser-small": ("wikiser-small/dev.conll",),
}
WEAK = {"wikiser-small"}


def load(paths: list[Path]) -> tuple[list[tuple[list[str], list[str]]], list[int]]:
    """Sentences (tokens, IOB2 tags) and each one's document number (one per file section)."""
    sentences, documents, document = [], [], -1
    for path in paths:
        with path.open("rb") as stream:
            for item in conll.read(stream, path.name):
                if isinstance(item, conll.DocumentStart):
                    document += 1
                elif isinstance(item, conll.Sentence) and item.tokens:
                    sentences.append((item.tokens, item.tags))
                    documents.append(document)
    return sentences, documents


def score(ranking: likely_errors.Ranking, changes: list[noise.Change]) -> dict:
    changed = {(c.sentence, t) for c in changes for t in c.tokens}
    n = len(changed)
    listed = [(x.sentence, x.token) for x in ranking.issues]
    top_n, top_2n = set(listed[:n]), set(listed[: 2 * n])
    bad = {c.sentence for c in changes}
    worst = set(ranking.worst_sentences(len(bad)))
    kinds = {}
    for kind in noise.KINDS:
        tokens = {(c.sentence, t) for c in changes if c.kind == kind for t in c.tokens}
        if tokens:
            kinds[kind] = {"tokens": len(tokens), "recall_at_n": _share(tokens & top_n, tokens)}
    return {
        "changes": len(changes),
        "changed_tokens": n,
        "changed_sentences": len(bad),
        "issues": len(listed),
        "token_recall_at_n": _share(changed & top_n, changed),
        "token_recall_at_2n": _share(changed & top_2n, changed),
        "sentence_recall_at_k": _share(bad & worst, bad),
        "kinds": kinds,
    }


def _share(found: set, of: set) -> float:
    return round(len(found) / len(of), 4) if of else 0.0


def evaluate(name: str, folds: int, iterations: int, workers: int) -> dict:
    sentences, documents = load([shared_samples() / p for p in CORPORA[name]])
    noisy, changes = noise.corrupt(sentences, 0.05, SEED)
    started = time.monotonic()
    judged = likely_errors.out_of_fold(
        noisy, folds=folds, iterations=iterations, seed=0, workers=workers, documents=documents
    )
    marginals = judged.marginals
    trained = time.monotonic() - started
    started = time.monotonic()
    ranking = likely_errors.rank(noisy, marginals, corrections=judged.corrections)
    ranked = time.monotonic() - started
    classes = likely_errors.tag_classes(noisy)
    predicted = [[classes[j] for j in m.argmax(axis=1)] for m in marginals]
    f1 = crf.evaluate([tags for _, tags in sentences], predicted)["micro"]["f1"]
    return {
        "corpus": name,
        "weak": name in WEAK,
        "sentences": len(sentences),
        "tokens": sum(len(t) for t, _ in sentences),
        "documents": len(set(documents)),
        "folds": folds,
        "iterations": iterations,
        "workers": workers,
        "train_s": round(trained, 1),
        "rank_s": round(ranked, 1),
        "out_of_fold_f1": f1,
        **score(ranking, changes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA))
    parser.add_argument("--iterations", type=int, default=likely_errors.FOLD_ITERATIONS)
    parser.add_argument("--folds", type=int, default=likely_errors.FOLDS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = parser.parse_args()
    results = {}
    for name in args.corpus or list(CORPORA):
        out = evaluate(name, args.folds, args.iterations, args.workers)
        results[name] = out
        if not args.json:
            print(json.dumps(out), flush=True)
    if args.json:
        print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
