"""The CRF tagger: training time on 200,000 tokens, tagging speed, held-out F1: models.py.

No Django. The corpus is wikiser-small dev (a real corpus, ../shared/samples) when present,
else the generated 1,000,000-token file. Tags are converted to IOB2, as the model expects.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from common import BIG, ROOT, emit, peak_rss_mb

WIKISER = ROOT.parent / "shared" / "samples" / "wikiser-small" / "dev.conll"
RNN = ROOT / "annotator" / "demo" / "rnn-wikipedia.conll"
TRAIN_TOKENS = 200_000
TAG_TOKENS = 50_000
ITERATIONS = 100
SEED = 13


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


def split(sentences: list, seed: int = SEED) -> tuple[list, list]:
    """A seeded 90/10 split of the sentences: (train, held out)."""
    shuffled = list(sentences)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * 0.9)
    return shuffled[:cut], shuffled[cut:]


def held_out_f1(path: Path, folder: Path) -> dict:
    from annotator.nlp import crf

    train, test = split(load(path))
    model = folder / f"{path.stem}-f1.crfsuite"
    start = time.perf_counter()
    crf.train(train, model, iterations=ITERATIONS)
    seconds = time.perf_counter() - start
    tagger = crf.Tagger(model)
    scores = crf.evaluate([tags for _, tags in test], [tagger.tag(toks) for toks, _ in test])
    return {
        "file": path.name,
        "train_sentences": len(train),
        "train_tokens": count(train),
        "test_sentences": len(test),
        "test_tokens": count(test),
        "train_s": round(seconds, 2),
        "micro": scores["micro"],
        "labels": len(scores) - 1,
    }


def speed(path: Path, folder: Path) -> dict:
    """Train on the first ~200k tokens; tag ~50k tokens of the sentences after them."""
    from annotator.nlp import crf

    everything = load(path, TRAIN_TOKENS + TAG_TOKENS + 10_000)
    train, tokens = [], 0
    for sentence in everything:
        if tokens >= TRAIN_TOKENS:
            break
        train.append(sentence)
        tokens += len(sentence[0])
    rest, held = everything[len(train) :], []
    while rest and count(held) < TAG_TOKENS:
        held.append(rest.pop(0))
    model = folder / "speed.crfsuite"
    start = time.perf_counter()
    crf.train(train, model, iterations=ITERATIONS)
    train_s = time.perf_counter() - start
    tagger = crf.Tagger(model)
    tagger.tag(held[0][0])  # warm-up
    start = time.perf_counter()
    for toks, _ in held:
        tagger.tag(toks)
    tag_s = time.perf_counter() - start
    return {
        "corpus": path.name,
        "train_tokens": tokens,
        "train_sentences": len(train),
        "iterations": ITERATIONS,
        "train_s": round(train_s, 2),
        "tag_tokens": count(held),
        "tag_s": round(tag_s, 3),
        "tokens_per_s": round(count(held) / tag_s),
    }


def main() -> None:
    corpus = WIKISER if WIKISER.exists() else BIG
    with tempfile.TemporaryDirectory(prefix="bench-crf-") as tmp:
        folder = Path(tmp)
        out = {"speed": speed(corpus, folder), "f1": {"rnn": held_out_f1(RNN, folder)}}
        if WIKISER.exists():
            out["f1"]["wikiser"] = held_out_f1(WIKISER, folder)
    out["peak_rss_mb"] = peak_rss_mb()
    emit(out)


if __name__ == "__main__":
    main()
