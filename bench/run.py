"""`make bench`: generate the inputs, run every measurement, print them, update BENCHMARKS.md.

Each Django measurement runs in its own subprocess (measure.py) so its peak memory is its own.
A step that fails is reported as an error and the rest still run; the exit status is then 1.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import report
from common import (
    BIG,
    EDIT_PG_NAME,
    EDIT_PG_URL,
    EDIT_SQLITE_DB,
    PG_NAME,
    PG_SERVER,
    PG_URL,
    ROOT,
    SQLITE_DB,
    VAR,
)

HERE = Path(__file__).resolve().parent
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))  # imports per database, each into a fresh one
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", 900))  # seconds per step; a hung step is an error
LOAD_SECONDS = os.environ.get("BENCH_LOAD_SECONDS", "30")  # the concurrent editors' window
# Sync workers for 2 cores: an edit is ~10 ms of Python with short waits on the database, so
# two per core keep both busy while one waits; more only add SQLite lock retries and switches.
WORKERS = os.environ.get("BENCH_WORKERS", "4")


def step(title: str, script: str, *args: str, env: dict | None = None) -> dict:
    """Run a bench script; its result is the JSON object on the last line of its stdout."""
    print(f"bench: {title} ...", flush=True)
    try:
        proc = subprocess.run(
            [sys.executable, str(HERE / script), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        print(f"bench: {title} timed out after {TIMEOUT} s", file=sys.stderr)
        return {"error": f"timed out after {TIMEOUT} s"}
    if proc.returncode:
        sys.stderr.write(proc.stderr)
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        return {"error": lines[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def django_env(url: str) -> dict:
    """Production-like settings (DEBUG off), the given database, and the test client's host."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="annotator.settings",
        DATABASE_URL=url,
        ALLOWED_HOSTS="testserver,127.0.0.1",
        DEBUG="0",
        SECRET_KEY="bench-only-not-secret",  # noqa: S106
        SECURE_COOKIES="0",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )


def reset_sqlite(db: Path = SQLITE_DB) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def reset_postgres(name: str = PG_NAME, create: bool = True) -> str:
    """Drop and recreate (or just drop) a bench database; returns the server version."""
    error = None
    for maintenance in ("postgres", "test"):
        try:
            with psycopg.connect(f"{PG_SERVER}/{maintenance}", autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                if create:
                    db.execute(f'CREATE DATABASE "{name}"')
                return db.execute("SHOW server_version").fetchone()[0]
        except psycopg.OperationalError as exc:
            error = exc
    raise RuntimeError(f"PostgreSQL not reachable at {PG_SERVER}: {error}")


def best_import(label: str, reset: Callable[[], object], env: dict) -> dict:
    """Import into a fresh database REPEAT times; the fastest run, with every run's time."""
    runs = []
    for i in range(REPEAT):
        reset()
        run = step(f"{label}: import {BIG.name} ({i + 1}/{REPEAT})", "measure.py", "import",
                   str(BIG), env=env)  # fmt: skip
        if "error" in run:
            return run
        runs.append(run)
    best = min(runs, key=lambda run: run["seconds"])
    best["runs"] = [run["seconds"] for run in runs]
    best["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return best


def run_database(label: str, url: str, reset: Callable[[], object]) -> dict:
    env = django_env(url)
    out = {"import": best_import(label, reset, env)}
    if "error" not in out["import"]:
        exported = VAR / f"export-{label.lower()}.conll"
        exported.unlink(missing_ok=True)
        out["export"] = step(f"{label}: export", "measure.py", "export", str(exported), env=env)
        if "error" not in out["export"]:
            out["export"]["identical"] = filecmp.cmp(BIG, exported, shallow=False)
    out["page"] = step(f"{label}: document page", "measure.py", "page", env=env)
    return out


def run_edits(label: str, url: str, reset: Callable[[], object]) -> dict:
    """The review UI on one 100k-sentence database, built once: one editor, then eight."""
    env = django_env(url)
    reset()
    out = {"setup": step(f"{label}: import 100k sentences for edits", "edits.py", "setup", env=env)}
    if "error" in out["setup"]:
        return out
    out["single"] = step(f"{label}: one editor, sequential edits", "edits.py", "single", env=env)
    out["load"] = step(f"{label}: {WORKERS} gunicorn workers, 8 editors, {LOAD_SECONDS} s",
                       "load.py", LOAD_SECONDS, WORKERS, env=env)  # fmt: skip
    return out


def main() -> int:
    VAR.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]  # other work on the machine skews the numbers; say how much
    results = {"generate": step("generate inputs", "generate.py")}
    if "error" in results["generate"]:
        return 1
    results["floor"] = step("floor (plain sqlite3, best of 3)", "floor.py")
    results["SQLite"] = run_database("SQLite", f"sqlite:///{SQLITE_DB}", reset_sqlite)
    results["SQLite"]["edits"] = run_edits(
        "SQLite", f"sqlite:///{EDIT_SQLITE_DB}", lambda: reset_sqlite(EDIT_SQLITE_DB)
    )
    try:
        pg_version = reset_postgres()
    except RuntimeError as exc:
        pg_version = None
        results["PostgreSQL"] = {"skipped": str(exc)}
        print(f"bench: {exc}; skipping PostgreSQL", file=sys.stderr)
    else:
        results["PostgreSQL"] = run_database("PostgreSQL", PG_URL, reset_postgres)
        results["PostgreSQL"]["edits"] = run_edits(
            "PostgreSQL", EDIT_PG_URL, lambda: reset_postgres(EDIT_PG_NAME)
        )
        reset_postgres(EDIT_PG_NAME, create=False)  # 100k sentences: do not leave them around
    (VAR / "results.json").write_text(json.dumps(results, indent=2))
    section = report.render(results, report.machine(pg_version, load))
    print(section)
    report.write(ROOT / "BENCHMARKS.md", section)
    print("bench: wrote BENCHMARKS.md", flush=True)
    return 1 if '"error"' in json.dumps(results) else 0


if __name__ == "__main__":
    sys.exit(main())
