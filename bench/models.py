"""The CRF on human-labelled corpora, against a token-features baseline: models.py CORPUS.

No Django: the same code the training job and the pre-annotation job run (`nlp.conll.read` as
the import reads files, IOB2 tags, `crf.train`, `crf.Tagger.tag`, `crf.evaluate`).

    wnut17         train -> test
    crossner-ai    train + dev -> test
    wikiser-small  dev, 5-fold cross-validation in consecutive blocks (weak labels)
    speed          the first ~200,000 tokens of wikiser-small dev, then tag ~50,000 more

Each corpus is trained twice: with the default features ("memory": token features plus the
leak-free label memory) and with token features only (the baseline). Prints one JSON object.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from common import emit, peak_rss_mb, shared_samples

ITERATIONS = 100
TRAIN_TOKENS = 200_000
TAG_TOKENS = 50_000
FOLDS = 5
SPLITS = {
    "wnut17": (["wnut17/train.conll"], ["wnut17/test.conll"]),
    "crossner-ai": (
        ["crossner-ai/train.conll", "crossner-ai/dev.conll"],
        ["crossner-ai/test.conll"],
    ),
}
WIKISER = "wikiser-small/dev.conll"


def load(path: Path, limit: int | None = None) -> list[tuple[list[str], list[str]]]:
    """(tokens, IOB2 tags) of the file's sentences, up to about `limit` tokens."""
    from annotator.nlp import conll, scheme

    sentences, tokens = [], 0
    with path.open("rb") as stream:
        for block in conll.read(stream, path.name):
            if isinstance(block, conll.Sentence) and block.tokens:
                sentences.append((block.tokens, block.tags))
                tokens += len(block.tokens)
                if limit and tokens >= limit:
                    break
    source = scheme.detect_scheme(tags for _, tags in sentences)
    if source != "iob2":
        sentences = [
            (toks, scheme.convert(scheme.repair(tags, source), source, "iob2"))
            for toks, tags in sentences
        ]
    return sentences


def count(sentences) -> int:
    return sum(len(tokens) for tokens, _ in sentences)


def train_and_tag(train: list, test: list, features: str, folder: Path) -> tuple[list, dict]:
    """Train on `train`, tag `test`; the predictions and the times."""
    from annotator.nlp import crf

    model = folder / f"{features}.crfsuite"
    wall, cpu = time.perf_counter(), time.process_time()
    crf.train(train, model, iterations=ITERATIONS, features=features)
    train_s, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
    tagger = crf.Tagger(model)
    tagger.tag(test[0][0])  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    predicted = [tagger.tag(tokens) for tokens, _ in test]
    tag_s, tag_cpu = time.perf_counter() - wall, time.process_time() - cpu
    return predicted, {
        "train_s": round(train_s, 2),
        "train_cpu_s": round(train_cpu, 2),
        "tag_s": round(tag_s, 3),
        "tag_cpu_s": round(tag_cpu, 3),
        "tokens_per_s": round(count(test) / tag_s) if tag_s else None,
        "tokens_per_cpu_s": round(count(test) / tag_cpu) if tag_cpu else None,
    }


def scored(gold: list, predicted: list, times: dict) -> dict:
    from annotator.nlp import crf

    return {"scores": crf.evaluate([tags for _, tags in gold], predicted), **times}


def split_corpus(name: str, folder: Path) -> dict:
    train_files, test_files = SPLITS[name]
    train = [s for f in train_files for s in load(shared_samples() / f)]
    test = [s for f in test_files for s in load(shared_samples() / f)]
    out = {"train_tokens": count(train), "test_tokens": count(test), "protocol": "split"}
    for features in ("memory", "token"):
        predicted, times = train_and_tag(train, test, features, folder)
        out[features] = scored(test, predicted, times)
    return out


def cross_validated(folder: Path, feature_sets: tuple[str, ...]) -> dict:
    """5 folds of consecutive sentences: each tagged by a model trained on the other four."""
    from annotator.nlp.memory import fold_of

    sentences = load(shared_samples() / WIKISER)
    assigned = fold_of(len(sentences), FOLDS)
    out = {"train_tokens": count(sentences) * (FOLDS - 1) // FOLDS, "protocol": "5-fold"}
    out["test_tokens"] = count(sentences)
    for features in feature_sets:
        predicted: list = [None] * len(sentences)
        totals = {"train_s": 0.0, "train_cpu_s": 0.0, "tag_s": 0.0, "tag_cpu_s": 0.0}
        for k in range(FOLDS):
            train = [s for s, f in zip(sentences, assigned, strict=True) if f != k]
            held = [i for i, f in enumerate(assigned) if f == k]
            tags, times = train_and_tag(train, [sentences[i] for i in held], features, folder)
            for i, row in zip(held, tags, strict=True):
                predicted[i] = row
            for key in totals:
                totals[key] += times[key]
        times = {key: round(value / FOLDS, 2) for key, value in totals.items()}  # per fold
        times["tokens_per_s"] = round(count(sentences) / totals["tag_s"])
        times["tokens_per_cpu_s"] = round(count(sentences) / totals["tag_cpu_s"])
        out[features] = scored(sentences, predicted, times)
    return out


def speed(folder: Path) -> dict:
    """Train on the first ~200k tokens of wikiser-small dev; tag ~50k tokens after them."""
    everything = load(shared_samples() / WIKISER, TRAIN_TOKENS + TAG_TOKENS + 10_000)
    train, tokens = [], 0
    for sentence in everything:
        if tokens >= TRAIN_TOKENS:
            break
        train.append(sentence)
        tokens += len(sentence[0])
    rest, held = everything[len(train) :], []
    while rest and count(held) < TAG_TOKENS:
        held.append(rest.pop(0))
    _, times = train_and_tag(train, held, "memory", folder)
    return {
        "corpus": WIKISER,
        "train_tokens": tokens,
        "train_sentences": len(train),
        "iterations": ITERATIONS,
        "tag_tokens": count(held),
        **times,
    }


def main() -> None:
    """models.py CORPUS [FEATURES]: FEATURES (memory or token) runs one of the two, so the
    slow 5-fold corpus can run as two processes (their outputs merge key by key)."""
    name = sys.argv[1]
    feature_sets = tuple(sys.argv[2:]) or ("memory", "token")
    with tempfile.TemporaryDirectory(prefix="bench-crf-") as tmp:
        folder = Path(tmp)
        if name == "speed":
            out = speed(folder)
        elif name == "wikiser-small":
            out = cross_validated(folder, feature_sets)
        elif name in SPLITS:
            out = split_corpus(name, folder)
        else:
            raise SystemExit(f"bench: unknown corpus {name!r}")
    out["peak_rss_mb"] = peak_rss_mb()
    emit(out)


if __name__ == "__main__":
    main()
