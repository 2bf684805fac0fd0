"""Paths and small helpers shared by the benchmark scripts (no Django here)."""

from __future__ import annotations

import json
import math
import os
import resource
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
BIG = VAR / "bench-1m.conll"  # >= 1,000,000 tokens
PAGE = VAR / "bench-2000.conll"  # exactly 2,000 sentences
SMALL = VAR / "bench-200.conll"  # 200 sentences: does the page's query count grow with length?
SHORT = VAR / "bench-50.conll"  # 50 sentences: one page, the document most people open
SQLITE_DB = VAR / "bench.sqlite3"
# BENCH_PG_NAME: another name for the bench databases (the others take it as their prefix), so
# two checkouts on one server do not drop each other's.
PG_NAME = os.environ.get("BENCH_PG_NAME", "annotator_bench")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_URL = f"{PG_SERVER}/{PG_NAME}"
TOKENS = 1_000_000
PAGE_SENTENCES = 2000
SMALL_SENTENCES = 200
SHORT_SENTENCES = 50
PROJECT = "bench"

# Review UI: edits against a 100,000-sentence project, built once per run and database.
EDIT = VAR / "bench-100k.conll"
EDIT_SENTENCES = 100_000
EDIT_SQLITE_DB = VAR / "bench-edit.sqlite3"
EDIT_PG_NAME = f"{PG_NAME}_edit"
EDIT_PG_URL = f"{PG_SERVER}/{EDIT_PG_NAME}"
EDIT_PROJECT = "edits"
EDITORS = 8
EDITOR_PASSWORD = "bench-only-password"  # noqa: S105 (throwaway users in a scratch database)

# Auto-assignment: 10,000 one-sentence documents (one file, -DOCSTART- between documents).
DOCS = VAR / "bench-10k-docs.conll"
DOC_COUNT = 10_000
ASSIGN_SQLITE_DB = VAR / "bench-assign.sqlite3"
ASSIGN_PG_NAME = f"{PG_NAME}_assign"
ASSIGN_PG_URL = f"{PG_SERVER}/{ASSIGN_PG_NAME}"

# Jobs through a real Celery worker: a fresh SQLite file and a flushed Redis database each run
# (db 12: CI's smoke stack uses 13 and the tests 14 and 15).
JOBS_SQLITE_DB = VAR / "bench-jobs.sqlite3"
JOBS_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
RETRAIN_SQLITE_DB = VAR / "bench-retrain.sqlite3"  # the retrain job's 20,000-token project


def shared_samples() -> Path:
    """The team's shared samples: `shared/samples` beside the repository or one of its parents
    (a git worktree may sit a level deeper than the main checkout)."""
    for folder in ROOT.parents:
        candidate = folder / "shared" / "samples"
        if candidate.is_dir():
            return candidate
    return ROOT.parent / "shared" / "samples"


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def sample_path() -> Path:
    """BENCH_SAMPLE, else the shared sample next to the repository, else the demo copy."""
    default = shared_samples() / "rnn-wikipedia.conll"
    chosen = Path(os.environ.get("BENCH_SAMPLE") or default)
    if not chosen.is_absolute():
        chosen = ROOT / chosen
    if chosen.exists():
        return chosen
    demo = ROOT / "annotator" / "demo" / "rnn-wikipedia.conll"
    if demo.exists():
        return demo
    raise SystemExit(f"bench: no sample file at {chosen} (set BENCH_SAMPLE) nor at {demo}")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(result: dict) -> None:
    """Hand a result to run.py: one JSON object on the last line of stdout."""
    print(json.dumps(result), flush=True)
