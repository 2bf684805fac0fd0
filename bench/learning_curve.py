"""Learning while reviewing, simulated: learning_curve.py [CORPUS ...] (no Django).

A simulated reviewer takes a corpus's gold tags as the truth and reviews every sentence in
order; the edits a sentence needs are its tokens whose suggested tag differs from gold. Three
ways to start each sentence:

    empty     no suggestions (every entity token is typed)
    one-off   a CRF trained once, on the first BLOCK reviewed sentences, then never again
    retrain   a CRF retrained on everything reviewed so far after every BLOCK sentences (what
              the retrain-as-you-go job does, services/learning.py)

Before the first model both model strategies start from empty. Per block of BLOCK sentences it
reports the suggestions' span F1 and the edits per sentence (the learning curve), and the total
edits saved against empty. Prints a Markdown table per corpus and one JSON object at the end.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from common import emit, shared_samples
from models import load

BLOCK = 200
ITERATIONS = 50
CORPORA = {
    "crossner-ai": (
        ["crossner-ai/train.conll", "crossner-ai/dev.conll", "crossner-ai/test.conll"],
        None,
    ),
    "wikiser-small": (["wikiser-small/dev.conll"], 1000),
    "wnut17": (["wnut17/train.conll"], 1000),
}


def edits(suggested: list[str], gold: list[str]) -> int:
    return sum(1 for s, g in zip(suggested, gold, strict=True) if s != g)


def simulate(sentences, folder: Path) -> dict:
    from annotator.nlp import crf

    totals = {"empty": 0, "one-off": 0, "retrain": 0}
    curve, one_off, live = [], None, None
    for start in range(0, len(sentences), BLOCK):
        block = sentences[start : start + BLOCK]
        row = {"reviewed": start}
        for name, tagger in (("one-off", one_off), ("retrain", live)):
            suggested = [tagger.tag(t) if tagger else ["O"] * len(t) for t, _ in block]
            gold = [g for _, g in block]
            count = sum(edits(s, g) for s, g in zip(suggested, gold, strict=True))
            totals[name] += count
            row[name] = {
                "f1": round(crf.evaluate(gold, suggested)["micro"]["f1"], 3),
                "edits_per_sentence": round(count / len(block), 2),
            }
        empty = sum(edits(["O"] * len(t), g) for t, g in block)
        totals["empty"] += empty
        row["empty_edits_per_sentence"] = round(empty / len(block), 2)
        curve.append(row)
        reviewed = sentences[: start + len(block)]
        if start + len(block) >= len(sentences):
            break
        path = folder / f"model-{start}.crfsuite"
        crf.train(reviewed, path, iterations=ITERATIONS)
        live = crf.Tagger(path)
        if one_off is None:
            one_off = live
    saved = {
        name: round(1 - totals[name] / totals["empty"], 3) if totals["empty"] else 0.0
        for name in ("one-off", "retrain")
    }
    return {"sentences": len(sentences), "totals": totals, "saved": saved, "curve": curve}


def table(name: str, result: dict) -> str:
    lines = [
        f"{name}: {result['sentences']} sentences; edits saved against empty: "
        f"one-off {result['saved']['one-off']:.0%}, retrain every {BLOCK} "
        f"{result['saved']['retrain']:.0%}",
        "",
        "| reviewed before | empty edits/sent | one-off F1 | one-off edits/sent "
        "| retrain F1 | retrain edits/sent | retrain curve |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["curve"]:
        bar = "#" * round(20 * row["retrain"]["f1"])
        lines.append(
            f"| {row['reviewed']} | {row['empty_edits_per_sentence']} | {row['one-off']['f1']} "
            f"| {row['one-off']['edits_per_sentence']} | {row['retrain']['f1']} "
            f"| {row['retrain']['edits_per_sentence']} | `{bar:<20}` |"
        )
    return "\n".join(lines)


def main(names: list[str]) -> None:
    samples = shared_samples()
    results = {}
    for name in names or list(CORPORA):
        files, limit = CORPORA[name]
        paths = [samples / f for f in files]
        if not all(p.exists() for p in paths):
            print(f"{name}: skipped, {samples} lacks {files}", file=sys.stderr)
            continue
        sentences = [s for p in paths for s in load(p)]
        sentences = sentences[:limit] if limit else sentences
        began = time.process_time()
        with tempfile.TemporaryDirectory() as folder:
            results[name] = simulate(sentences, Path(folder))
        results[name]["cpu_seconds"] = round(time.process_time() - began, 1)
        print(table(name, results[name]), "\n", flush=True)
    emit({"learning_curve": results})


if __name__ == "__main__":
    main(sys.argv[1:])
