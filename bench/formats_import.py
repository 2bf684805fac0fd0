"""Import speed of a JSON Lines format against CoNLL, on the same 1,000,000 tokens.

    .venv/bin/python bench/formats_import.py      # writes the "Formats" section of BENCHMARKS.md

The sample's sentences are repeated to >= 1,000,000 tokens and written twice: as CoNLL, and as
doccano's sequence-labelling JSONL (one example a sentence, its text the tokens joined by single
spaces, its spans as character offsets), so both imports hold exactly the same tokens and tags.
Each import runs 3 times in a fresh process into a fresh SQLite database (after `migrate`) and
reports the best, with its peak memory; the readers alone (no database) are timed too, and the
doccano import is exported back to check that every record comes out as it went in.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import ROOT, TOKENS, VAR, peak_rss_mb, sample_path  # noqa: E402

DB = VAR / "formats.sqlite3"
CONLL = VAR / "formats-1m.conll"
DOCCANO = VAR / "formats-1m.jsonl"
RUNS = 3
START, END = "<!-- formats:start -->", "<!-- formats:end -->"


def generate() -> tuple[int, int]:
    """Write the CoNLL and the doccano file from the same sentences; (tokens, sentences)."""
    from annotator.nlp import conll, scheme

    with sample_path().open("rb") as stream:
        sample = [e for e in conll.read(stream, "sample") if isinstance(e, conll.Sentence)]
    tokens = sentences = 0
    VAR.mkdir(parents=True, exist_ok=True)
    with CONLL.open("w", encoding="utf-8") as out_conll, DOCCANO.open("w", encoding="utf-8") as out:
        while tokens < TOKENS:
            for sentence in sample:
                sentences += 1
                tokens += len(sentence.tokens)
                out_conll.write(
                    "".join(
                        f"{t}\t{g}\n" for t, g in zip(sentence.tokens, sentence.tags, strict=True)
                    )
                    + "\n"
                )
                starts, position = [], 0
                for token in sentence.tokens:
                    starts.append(position)
                    position += len(token) + 1
                label = [
                    [starts[s.start], starts[s.end - 1] + len(sentence.tokens[s.end - 1]), s.label]
                    for s in scheme.spans(sentence.tags, "iob2")
                ]
                record = {"id": sentences, "text": " ".join(sentence.tokens), "label": label}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                if tokens >= TOKENS:
                    break
    return tokens, sentences


def measure(format_name: str, path: str) -> dict:
    """In a child process: import `path` into the fresh database; time and memory."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")
    django.setup()
    from annotator.services import corpus

    with open(path, "rb") as stream:
        start, cpu = time.perf_counter(), time.process_time()
        summary = corpus.import_corpus(
            project_name="bench", files=[(Path(path).name, stream)], format_name=format_name
        )
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    result = {
        "seconds": seconds,
        "cpu": cpu,
        "tokens": summary.tokens,
        "peak_rss_mb": peak_rss_mb(),
    }
    if format_name == "doccano":
        result["round_trip"] = exported_equals(path)
    return result


def exported_equals(path: str) -> bool:
    from annotator.models import Project
    from annotator.services import corpus

    project = Project.objects.get(name="bench")
    out = VAR / "formats-export.jsonl"
    with out.open("wb") as f:
        for chunk in corpus.export_project(project, format_name="doccano"):
            f.write(chunk)
    with open(path, encoding="utf-8") as a, out.open(encoding="utf-8") as b:
        return all(json.loads(x) == json.loads(y) for x, y in zip(a, b, strict=True))


def read_only(format_name: str, path: Path) -> float:
    from annotator.nlp.formats import registry
    from annotator.nlp.formats.base import ReadOptions

    with path.open("rb") as stream:
        start = time.process_time()
        for _ in registry.get(format_name).read(stream, path.name, ReadOptions()):
            pass
        return time.process_time() - start


def fresh_database(env: dict) -> None:
    DB.unlink(missing_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def run_imports(format_name: str, path: Path, env: dict) -> list[dict]:
    results = []
    for _ in range(RUNS):
        fresh_database(env)
        done = subprocess.run(
            [sys.executable, __file__, "measure", format_name, str(path)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def report(tokens: int, sentences: int, results: dict, reads: dict) -> str:
    best = {name: min(runs, key=lambda r: r["cpu"]) for name, runs in results.items()}
    rows = []
    for name, path in (("conll", CONLL), ("doccano", DOCCANO)):
        runs, chosen = results[name], best[name]
        rows.append(
            f"| {name} | {path.stat().st_size / 1e6:.1f} MB | {reads[name]:.2f} s | "
            f"{chosen['cpu']:.2f} s ({', '.join(f'{r["cpu"]:.2f}' for r in runs)}) | "
            f"{chosen['seconds']:.2f} s | {tokens / chosen['cpu']:,.0f} | "
            f"{max(r['peak_rss_mb'] for r in runs):.0f} MB |"
        )
    load = os.getloadavg()[0]
    ratio = best["doccano"]["cpu"] / best["conll"]["cpu"]
    round_trip = all(r.get("round_trip") for r in results["doccano"])
    return "\n".join(
        [
            START,
            "",
            "## Formats: importing doccano JSONL against CoNLL (`bench/formats_import.py`)",
            "",
            f"Run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on "
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, SQLite; load average "
            f"{load:.2f} at the end (the machine is shared, so the times are the import "
            "process's CPU time; wall clock beside). Input: "
            f"{tokens:,} tokens in {sentences:,} sentences, the same tokens and tags in both.",
            "",
            "| Format | File | Reader alone (CPU) | Import into SQLite: CPU, best of 3 (runs) "
            "| its wall clock | Tokens per CPU second | Peak RSS |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"doccano / CoNLL import: {ratio:.2f}x the CPU time. The doccano reader tokenizes "
            "each text and places its character spans on the tokens, and decodes JSON; the "
            "database part is the same. Exported back as doccano, every record equals the "
            f"input: {'yes' if round_trip else 'NO'}.",
            "",
            END,
        ]
    )


def main() -> None:
    tokens, sentences = generate()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{DB}", "DEBUG": "0", "SECRET_KEY": "bench"}
    env.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    reads = {"conll": read_only("conll", CONLL), "doccano": read_only("doccano", DOCCANO)}
    results = {
        name: run_imports(name, path, env)
        for name, path in (("conll", CONLL), ("doccano", DOCCANO))
    }
    section = report(tokens, sentences, results, reads)
    target = ROOT / "BENCHMARKS.md"
    text = target.read_text()
    if START in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    target.write_text(text)
    print(section)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        main()
