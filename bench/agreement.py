"""Agreement measures on 1,000,000 tokens x 3 annotators: agreement.py (no Django).

Builds a seeded synthetic corpus (20-token sentences, about 15% of tokens in spans of 1-3
tokens, 8 labels; each annotator changes about 10% of the spans -- relabels one, moves a
boundary, drops it -- adds a few of its own, and skips about 1% of the sentences), then times
`annotator.nlp.agreement.agreement_report` (best and median of 3) and measures the peak memory
the call allocates on top of its input with tracemalloc, in a separate untimed run.

    .venv/bin/python bench/agreement.py
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from annotator.nlp.agreement import agreement_report  # noqa: E402
from annotator.nlp.scheme import Span, tags_from_spans  # noqa: E402

TOKENS = 1_000_000
SENTENCE = 20
ANNOTATORS = ("ann", "bob", "cat")
LABELS = ("PER", "ORG", "LOC", "MISC", "DATE", "EVENT", "WORK", "PRODUCT")
CHANGED = 0.10  # share of spans an annotator reads differently
SKIPPED = 0.01  # share of sentences an annotator did not annotate
RUNS = 3
SEED = 7


def truth_spans(rng: random.Random) -> list[Span]:
    """About 3 tokens of 20 in spans: 1-2 spans of 1-3 tokens, with at least two O between."""
    found, position = [], rng.randrange(4)
    while True:
        position += rng.choice((2, 4, 6, 8, 10, 12))
        width = rng.choice((1, 2, 2, 3))
        if position + width > SENTENCE:
            return found
        found.append(Span(position, position + width, rng.choice(LABELS)))
        position += width


def annotator_spans(truth: list[Span], rng: random.Random) -> list[Span]:
    read = []
    for span in truth:
        if rng.random() >= CHANGED:
            read.append(span)
            continue
        how = rng.choice(("label", "start", "end", "drop"))
        if how == "label":
            read.append(Span(span.start, span.end, rng.choice(LABELS)))
        elif how == "start" and span.start > 0 and (not read or read[-1].end < span.start):
            read.append(Span(span.start - 1, span.end, span.label))
        elif how == "end" and span.end - span.start > 1:
            read.append(Span(span.start, span.end - 1, span.label))
    if not truth and rng.random() < CHANGED:
        start = rng.randrange(SENTENCE - 1)
        read.append(Span(start, start + 1, rng.choice(LABELS)))  # a span nobody else saw
    return read


def build_layers(seed: int = SEED) -> dict[str, list[list[str] | None]]:
    """Three aligned layers of IOB2 tags. A JSON round trip gives every layer its own tag
    strings, as rows read from the database would (no shared, pre-hashed objects)."""
    rng = random.Random(seed)
    layers: dict[str, list[list[str] | None]] = {name: [] for name in ANNOTATORS}
    for _ in range(TOKENS // SENTENCE):
        truth = truth_spans(rng)
        for name in ANNOTATORS:
            if rng.random() < SKIPPED:
                layers[name].append(None)
            else:
                tags = tags_from_spans(annotator_spans(truth, rng), SENTENCE, "iob2")
                layers[name].append(tags)
    return json.loads(json.dumps(layers))


def bench_agreement_math() -> dict:
    layers = build_layers()
    times, report = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        report = agreement_report(layers, scheme="iob2")
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    agreement_report(layers, scheme="iob2")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "seconds": round(min(times), 3),
        "median_s": round(statistics.median(times), 3),
        "peak_mb": round(peak / 2**20, 1),
        "tokens": report["tokens"],
        "annotators": len(ANNOTATORS),
        "alpha": round(report["token"]["all"]["alpha"], 4),
        "span_f1": round(report["pairs"][0]["span"]["exact"]["micro"]["f1"], 4),
    }


if __name__ == "__main__":
    print(json.dumps(bench_agreement_math()), flush=True)
