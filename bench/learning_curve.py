"""Learning while reviewing, simulated: learning_curve.py [--plot PATH] [CORPUS ...] (no Django).

A simulated reviewer takes a corpus's gold tags as the truth and reviews every sentence in
order; the edits a sentence needs are its tokens whose suggested tag differs from gold. Ways to
start each sentence:

    empty      no suggestions (every entity token is typed)
    one-off    a model trained once, on the first ONE_OFF reviewed sentences, then never again
    every 200  retrained on everything reviewed so far after every 200 sentences (the cadence
               before the early retrains)
    the app    what the retrain job does (`annotator.nlp.retraining`, called as the job calls
               it): retrained after 10, 20, 40, 80, 160 reviewed sentences, then every EVERY
               (the project setting's default), on every reviewed sentence; suggestions by
               `retraining.suggest` (each token's likeliest tag, as valid IOB2: the fewest
               expected token edits, `nlp.decoding`), as for every model here

Before a strategy's first model it starts from empty. Per block of BLOCK sentences it reports
the suggestions' span F1 and the edits per sentence (the learning curve), and the total edits
saved against empty. Prints a Markdown table per corpus, draws the curves with --plot (PNG,
matplotlib's Agg backend), and prints one JSON object at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from common import emit, shared_samples
from models import load

BLOCK = 100
ONE_OFF = 200
EVERY = 200
STRATEGIES = ("one-off", "every 200", "the app")
CORPORA = {
    "crossner-ai": (
        ["crossner-ai/train.conll", "crossner-ai/dev.conll", "crossner-ai/test.conll"],
        None,
    ),
    "wikiser-small": (["wikiser-small/dev.conll"], 1000),
    "wnut17": (["wnut17/train.conll"], 1000),
}
TITLES = {
    "crossner-ai": "crossner-ai (train+dev+test)",
    "wikiser-small": "wikiser-small dev (first 1,000)",
    "wnut17": "wnut17 train (first 1,000)",
}


def edits(suggested: list[str], gold: list[str]) -> int:
    return sum(1 for s, g in zip(suggested, gold, strict=True) if s != g)


def retrain_points(count: int) -> dict[str, set[int]]:
    """Per strategy, the reviewed counts after which it trains a new model."""
    from annotator.nlp import retraining

    app, learned = set(), 0
    while (due := retraining.next_retrain(learned, EVERY)) < count:
        app.add(due)
        learned = due
    return {"one-off": {ONE_OFF}, "every 200": set(range(EVERY, count, EVERY)), "the app": app}


def simulate(sentences, folder: Path) -> dict:
    """Review every sentence in order under each strategy; totals and the curve per block."""
    from annotator.nlp import crf, retraining

    points = retrain_points(len(sentences))
    taggers: dict[str, crf.Tagger | None] = dict.fromkeys(STRATEGIES)
    suggested: dict[str, list[list[str]]] = {name: [] for name in STRATEGIES}
    for i, (tokens, _) in enumerate(sentences):
        for name in STRATEGIES:
            if i in points[name]:
                path = folder / f"{name.replace(' ', '-')}-{i}.crfsuite"
                retraining.train(sentences[:i], path)
                taggers[name] = crf.Tagger(path)
            tagger = taggers[name]
            tags = retraining.suggest(tagger, tokens)[0] if tagger else ["O"] * len(tokens)
            suggested[name].append(tags)
    gold = [tags for _, tags in sentences]
    totals = {"empty": sum(edits(["O"] * len(g), g) for g in gold)}
    for name in STRATEGIES:
        totals[name] = sum(edits(s, g) for s, g in zip(suggested[name], gold, strict=True))
    curve = []
    for start in range(0, len(sentences), BLOCK):
        block = gold[start : start + BLOCK]
        row = {
            "reviewed": start,
            "sentences": len(block),
            "empty_edits_per_sentence": round(
                sum(edits(["O"] * len(g), g) for g in block) / len(block), 2
            ),
        }
        for name in STRATEGIES:
            mine = suggested[name][start : start + BLOCK]
            row[name] = {
                "f1": round(crf.evaluate(block, mine)["micro"]["f1"], 3),
                "edits_per_sentence": round(
                    sum(edits(s, g) for s, g in zip(mine, block, strict=True)) / len(block), 2
                ),
            }
        curve.append(row)
    saved = {
        name: round(1 - totals[name] / totals["empty"], 3) if totals["empty"] else 0.0
        for name in STRATEGIES
    }
    retrains = {name: len(points[name]) for name in STRATEGIES}
    return {
        "sentences": len(sentences),
        "totals": totals,
        "saved": saved,
        "retrains": retrains,
        "curve": curve,
    }


def table(name: str, result: dict) -> str:
    saved = ", ".join(f"{s} {result['saved'][s]:.0%}" for s in STRATEGIES)
    lines = [
        f"{name}: {result['sentences']} sentences; edits saved against empty: {saved}",
        "",
        "| reviewed before | empty edits/sent | "
        + " | ".join(f"{s} F1 | {s} edits/sent" for s in STRATEGIES)
        + " |",
        "|---|---|" + "---|---|" * len(STRATEGIES),
    ]
    for row in result["curve"]:
        cells = [str(row["reviewed"]), str(row["empty_edits_per_sentence"])]
        for s in STRATEGIES:
            cells += [str(row[s]["f1"]), str(row[s]["edits_per_sentence"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    """Per corpus, suggestion F1 (top) and edits per sentence (bottom) against sentences
    reviewed, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    from matplotlib import pyplot

    names = list(results)
    figure, axes = pyplot.subplots(
        2, len(names), figsize=(4.2 * len(names), 6.4), squeeze=False, sharex="col"
    )
    styles = {"empty": ":", "one-off": "--", "every 200": "-.", "the app": "-"}
    for column, name in enumerate(names):
        curve = results[name]["curve"]
        x = [row["reviewed"] + row["sentences"] / 2 for row in curve]  # the block's middle
        top, bottom = axes[0][column], axes[1][column]
        for strategy in STRATEGIES:
            top.plot(x, [row[strategy]["f1"] for row in curve], styles[strategy], marker=".",
                     label=strategy)  # fmt: skip
            bottom.plot(x, [row[strategy]["edits_per_sentence"] for row in curve],
                        styles[strategy], marker=".", label=strategy)  # fmt: skip
        bottom.plot(x, [row["empty_edits_per_sentence"] for row in curve], styles["empty"],
                    color="grey", label="empty")  # fmt: skip
        saved = results[name]["saved"]["the app"]
        top.set_title(f"{TITLES.get(name, name)}\nthe app saves {saved:.0%} of the edits",
                      fontsize=10)  # fmt: skip
        top.set_ylim(0, 1)
        top.set_ylabel("suggestion span F1")
        bottom.set_ylim(bottom=0)
        bottom.set_ylabel("token edits per sentence")
        bottom.set_xlabel(f"sentences reviewed (blocks of {BLOCK})")
        for axis in (top, bottom):
            axis.grid(alpha=0.3)
    axes[1][0].legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    pyplot.close(figure)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, help="write the learning curves to this PNG")
    parser.add_argument("corpora", nargs="*", help=", ".join(CORPORA) + " (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.corpora) - set(CORPORA)
    if unknown:
        parser.error(f"unknown corpora {sorted(unknown)}; known: {', '.join(CORPORA)}")
    samples = shared_samples()
    results = {}
    for name in args.corpora or list(CORPORA):
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
    if args.plot and results:
        plot(results, args.plot)
    emit({"learning_curve": results} | ({"plot": str(args.plot)} if args.plot else {}))


if __name__ == "__main__":
    main(sys.argv[1:])
