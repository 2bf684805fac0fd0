"""`make bench`: generate the inputs, run every measurement, print them, update BENCHMARKS.md.

Each Django measurement runs in its own subprocess (measure.py) so its peak memory is its own.
A step that fails is reported as an error and the rest still run; the exit status is then 1.

BENCH_ONLY=paint,search (comma-separated step names, see STEPS) runs only those steps (inputs are
always generated); their results replace the same steps' in bench/results.json and the
report is rendered from the merge, saying which steps this run measured. That file is kept in git
beside BENCHMARKS.md so a partial run on a fresh clone merges with the last committed run instead
of blanking every table it did not measure. Without an `import`
step, the existing bench databases are reused (steps that need data import it when missing).
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
import report_crf
import report_learning
from common import (
    ASSIGN_PG_NAME,
    ASSIGN_PG_URL,
    ASSIGN_SQLITE_DB,
    BIG,
    EDIT_PG_NAME,
    EDIT_PG_URL,
    EDIT_SQLITE_DB,
    JOBS_REDIS_URL,
    JOBS_SQLITE_DB,
    PG_NAME,
    PG_SERVER,
    PG_URL,
    RETRAIN_SQLITE_DB,
    ROOT,
    SQLITE_DB,
    VAR,
    shared_samples,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"  # in git: the raw numbers behind BENCHMARKS.md
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))  # imports per database, each into a fresh one
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", 900))  # seconds per step; a hung step is an error
LOAD_SECONDS = os.environ.get("BENCH_LOAD_SECONDS", "30")  # the concurrent editors' window
# Sync workers for 2 cores: an edit is ~10 ms of Python with short waits on the database, so
# two per core keep both busy while one waits; more only add SQLite lock retries and switches.
WORKERS = os.environ.get("BENCH_WORKERS", "4")
API_SECONDS = os.environ.get("BENCH_API_SECONDS", "60")  # each of the API's two runs
API_PACE = os.environ.get("BENCH_API_PACE", "0.5")  # seconds between a paced client's edits
HTTP_SECONDS = os.environ.get("BENCH_HTTP_SECONDS", "20")  # eight clients, ours then the floor
STEPS = (
    "floor", "import", "export", "page", "paint", "search", "edits", "load", "api", "http",
    "assign", "models", "finder", "agreement", "learning",
)  # fmt: skip
ONLY = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}


def wanted(name: str) -> bool:
    return not ONLY or name in ONLY


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
        SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback, no TLS proxy in front
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )


def reset_sqlite(db: Path = SQLITE_DB) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def reset_postgres(name: str = PG_NAME, create: bool = True, keep: bool = False) -> str:
    """Drop and recreate (or just drop) a bench database; returns the server version.
    keep: create it only if it does not exist."""
    error = None
    for maintenance in ("postgres", "test"):
        try:
            with psycopg.connect(f"{PG_SERVER}/{maintenance}", autocommit=True) as db:
                exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if keep and exists.fetchone():
                    return db.execute("SHOW server_version").fetchone()[0]
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
    """Import, export, page, first paint and search, on one database (reset by the import)."""
    env = dict(django_env(url), BENCH_LABEL=label)
    out = {}
    if wanted("import"):
        out["import"] = best_import(label, reset, env)
    if wanted("export") and "error" not in out.get("import", {}):
        exported = VAR / f"export-{label.lower()}.conll"
        exported.unlink(missing_ok=True)
        out["export"] = step(f"{label}: export", "measure.py", "export", str(exported), env=env)
        if "error" not in out["export"]:
            out["export"]["identical"] = filecmp.cmp(BIG, exported, shallow=False)
    if wanted("page"):
        out["page"] = step(f"{label}: document page", "measure.py", "page", env=env)
    if wanted("paint"):
        out["paint"] = step(f"{label}: first paint in Chromium", "paint.py", env=env)
    if wanted("search"):
        out["search"] = step(f"{label}: search 1M tokens", "search.py", env=env)
    if wanted("agreement"):
        out["agreement"] = step(f"{label}: agreement job, 3 annotators x 1M tokens",
                                "agreement_db.py", env=env)  # fmt: skip
    return out


def run_edits(label: str, url: str, reset: Callable[[], object]) -> dict | None:
    """The review UI on one 100k-sentence database, built once: one editor, then eight; then
    the API's edit endpoint with 20 token clients (its result is stored apart: store_edits)."""
    if not (wanted("edits") or wanted("load") or wanted("api") or wanted("http")):
        return None
    env = django_env(url)
    reset()
    out = {"setup": step(f"{label}: import 100k sentences for edits", "edits.py", "setup", env=env)}
    if "error" in out["setup"]:
        return out
    if wanted("edits"):
        out["single"] = step(f"{label}: one editor, sequential edits", "edits.py", "single",
                             env=env)  # fmt: skip
    if wanted("load"):
        out["load"] = step(f"{label}: {WORKERS} gunicorn workers, 8 editors, {LOAD_SECONDS} s",
                           "load.py", LOAD_SECONDS, WORKERS, env=env)  # fmt: skip
    if wanted("api"):
        out["api"] = step(f"{label}: API edits, {WORKERS} gunicorn workers, 20 token clients, "
                          f"paced and closed loop, {API_SECONDS} s each", "api_load.py",
                          API_SECONDS, WORKERS, API_PACE, env=env)  # fmt: skip
    if wanted("http"):
        out["http"] = step(f"{label}: one edit over HTTP against the floor view, sequential and "
                           f"8 clients, {WORKERS} gunicorn workers", "http_edit.py",
                           HTTP_SECONDS, WORKERS, env=env)  # fmt: skip
    return out


def store_edits(db: dict, edits: dict | None) -> None:
    """The UI's edits under "edits", the API's under "api", the floor comparison under "http",
    each only if measured in this run: a merge replaces a whole key, so BENCH_ONLY=api must not
    blank the UI's tables."""
    if edits is None:
        return
    for key in ("api", "http"):
        measured = edits.pop(key, None)
        if wanted(key):
            db[key] = measured or {"error": "setup: " + edits["setup"].get("error", "failed")}
    if wanted("edits") or wanted("load"):
        db["edits"] = edits


def run_assign(label: str, url: str, reset: Callable[[], object]) -> dict | None:
    """Auto-assignment of 10,000 documents, in a database of its own, made fresh."""
    if not wanted("assign"):
        return None
    reset()
    env = dict(django_env(url), BENCH_LABEL=label)
    return step(f"{label}: auto-assign 10,000 documents", "assign.py", label, env=env)


def cross_validated(env: dict) -> dict:
    """wikiser-small's ten trainings on 240k tokens, one step per feature set so that each
    fits the step timeout; the two halves' keys merge."""
    halves = []
    for features in ("memory", "token"):
        title = f"models: CRF on wikiser-small (5-fold), {features} features"
        halves.append(step(title, "models.py", "wikiser-small", features, env=env))
    failed = [half for half in halves if "error" in half]
    if failed:
        return failed[0]
    rss = max(half["peak_rss_mb"] for half in halves)
    return {**halves[0], **halves[1], "peak_rss_mb": rss}


def run_models() -> dict:
    """The CRF on the shared corpora against a token-features baseline, its speed; gazetteer
    pre-annotation; job overhead through Redis."""
    if not shared_samples().is_dir():
        out = {"crf": {"skipped": f"no shared samples at {shared_samples()}"}}
    else:
        env = django_env(f"sqlite:///{SQLITE_DB}")
        crf = {}
        for name in ("wnut17", "crossner-ai", "wikiser-small", "speed"):
            title = f"models: CRF on {name}, against token features only"
            crf[name] = (cross_validated(env) if name == "wikiser-small"
                         else step(title, "models.py", name, env=env))  # fmt: skip
        out = {"crf": crf}
    env = django_env(f"sqlite:///{SQLITE_DB}")
    out["gazetteer"] = step("models: gazetteer pre-annotation, 1M tokens", "workers.py",
                            "gazetteer", env=env)  # fmt: skip
    reset_sqlite(JOBS_SQLITE_DB)
    env = dict(django_env(f"sqlite:///{JOBS_SQLITE_DB}"), REDIS_URL=JOBS_REDIS_URL,
               MEDIA_ROOT=str(VAR / "media-jobs"))  # fmt: skip
    out["overhead"] = step("models: job queue-to-start through Redis", "workers.py", "overhead",
                           env=env)  # fmt: skip
    return out


def run_finder() -> dict:
    """Likely errors: recall on planted errors per corpus; the job's wall time on ~300k tokens
    with two worker processes, then one."""
    if not shared_samples().is_dir():
        return {"skipped": f"no shared samples at {shared_samples()}"}
    out = {"recall": {name: step(f"finder: planted errors in {name}", "errors_eval.py",
                                 "--corpus", name, "--json")
                      for name in ("wnut17", "crossner-ai", "wikiser-small")}}  # fmt: skip
    for count in (2, 1):
        reset_sqlite(JOBS_SQLITE_DB)
        env = dict(django_env(f"sqlite:///{JOBS_SQLITE_DB}"), REDIS_URL=JOBS_REDIS_URL,
                   MODEL_ROOT=str(VAR / "models-finder"))  # fmt: skip
        title = f"finder: likely-errors job, ~300k tokens, {count} worker process(es)"
        out[f"workers_{count}"] = step(title, "finder.py", str(count), env=env)
    return out


def run_learning() -> dict:
    """The simulated reviewer on three shared corpora (its plot beside BENCHMARKS.md)."""
    if not shared_samples().is_dir():
        return {"curve": {"error": f"no shared samples at {shared_samples()}"}}
    plot = ROOT / report_learning.PLOT
    curve = step("learning: the simulated reviewer on three corpora", "learning_curve.py",
                 "--plot", str(plot))  # fmt: skip
    if "plot" in curve:
        curve["plot"] = report_learning.PLOT  # the repository's path, not this machine's
    reset_sqlite(RETRAIN_SQLITE_DB)
    env = dict(django_env(f"sqlite:///{RETRAIN_SQLITE_DB}"), REDIS_URL=JOBS_REDIS_URL,
               MODEL_ROOT=str(VAR / "models-retrain"))  # fmt: skip
    job = step("learning: the retrain job on ~20,000 tokens, one worker", "retrain_job.py", env=env)
    return {"curve": curve, "job": job}


def earlier_runs(measured: dict[str, str], stamp: str, full_at: str | None) -> str:
    """Which earlier run measured the tables this run did not: partial runs chain."""
    by_run: dict[str, list[str]] = {}
    for name in STEPS:
        if measured.get(name, stamp) != stamp:
            by_run.setdefault(measured[name], []).append(name)
    parts = [f"{', '.join(names)} from the run of {at}" for at, names in by_run.items()]
    rest = f"the other tables from the full run of {full_at}" if full_at else "the rest earlier"
    return "; ".join([*parts, rest])


def merge(previous: dict, new: dict) -> dict:
    """A partial run's results over the previous run's, step by step."""
    merged = dict(previous)
    for key, value in new.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and key in ("SQLite", "PostgreSQL"):
            if "skipped" in old or "skipped" in value:
                merged[key] = value
            else:
                merged[key] = {**old, **value}
        else:
            merged[key] = value
    return merged


def store(db: dict, key: str, value: dict | None) -> None:
    if value is not None:
        db[key] = value


def main() -> int:
    unknown = ONLY - set(STEPS)
    if unknown:
        print(f"bench: unknown BENCH_ONLY steps {sorted(unknown)}; known: {', '.join(STEPS)}",
              file=sys.stderr)  # fmt: skip
        return 2
    VAR.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]  # other work on the machine skews the numbers; say how much
    probe = report.speed_probe()  # and the machine's own speed varies; say that too
    results = {"generate": step("generate inputs", "generate.py")}
    if "error" in results["generate"]:
        return 1
    if wanted("floor"):
        results["floor"] = step("floor (plain sqlite3, best of 3)", "floor.py")
    results["SQLite"] = run_database("SQLite", f"sqlite:///{SQLITE_DB}", reset_sqlite)
    store_edits(results["SQLite"], run_edits(
        "SQLite", f"sqlite:///{EDIT_SQLITE_DB}", lambda: reset_sqlite(EDIT_SQLITE_DB)
    ))  # fmt: skip
    store(results["SQLite"], "assign", run_assign(
        "SQLite", f"sqlite:///{ASSIGN_SQLITE_DB}", lambda: reset_sqlite(ASSIGN_SQLITE_DB)
    ))  # fmt: skip
    if wanted("models"):
        results["models"] = run_models()
    if wanted("finder"):
        results["finder"] = run_finder()
    if wanted("learning"):
        results["learning"] = run_learning()
    if wanted("agreement"):
        results["agreement_math"] = step("agreement measures alone, 3 x 1M tokens", "agreement.py")
    try:
        pg_version = reset_postgres() if wanted("import") else reset_postgres(keep=True)
    except RuntimeError as exc:
        pg_version = None
        results["PostgreSQL"] = {"skipped": str(exc)}
        print(f"bench: {exc}; skipping PostgreSQL", file=sys.stderr)
    else:
        results["PostgreSQL"] = run_database("PostgreSQL", PG_URL, reset_postgres)
        edits = run_edits("PostgreSQL", EDIT_PG_URL, lambda: reset_postgres(EDIT_PG_NAME))
        store_edits(results["PostgreSQL"], edits)
        if edits is not None:
            reset_postgres(EDIT_PG_NAME, create=False)  # 100k sentences: do not leave them around
        assign = run_assign("PostgreSQL", ASSIGN_PG_URL, lambda: reset_postgres(ASSIGN_PG_NAME))
        store(results["PostgreSQL"], "assign", assign)
        if assign is not None:
            reset_postgres(ASSIGN_PG_NAME, create=False)
    failed = '"error"' in json.dumps(results)  # this run's steps only, before any merge
    info = report.machine(pg_version, load, probe)
    # The models and learning sections say when their own steps ran, not when a later run of
    # other steps did (the dict is the one the steps line below is added to).
    if wanted("models") or wanted("finder"):
        results["models_info"] = info
    if wanted("learning"):
        results["learning_info"] = info
    path = RESULTS
    had_previous = path.exists()
    stamp = f"{info['Run at']} (speed probe {info[report.PROBE]})"
    if ONLY:
        previous = json.loads(path.read_text()) if had_previous else {}
        full_at = previous.get("full_run_at") or previous.get("info", {}).get("Run at")
        measured = {**previous.get("measured_at", {}), **{s: stamp for s in ONLY}}
        info["Steps measured in this run"] = (
            f"{', '.join(s for s in STEPS if s in ONLY)} (BENCH_ONLY); "
            + earlier_runs(measured, stamp, full_at)
        )
        results = merge(previous, results)
        results["full_run_at"] = full_at
    else:
        measured = {}  # every step: the full run's time says when
        results["full_run_at"] = info["Run at"]
    results["measured_at"] = measured  # steps run since, so a later partial run can say when
    results["info"] = info
    path.write_text(json.dumps(results, indent=2))
    if ONLY and not had_previous and {"models", "finder", "learning"} >= ONLY:
        # No earlier results to merge with: rewriting the main section would blank its tables.
        print("bench: no earlier results.json; only the models and learning sections are rewritten")
    else:
        section = report.render(results, info)
        print(section)
        report.write(ROOT / "BENCHMARKS.md", section)
    if "models" in results or "finder" in results:
        section = report_crf.render(results, results.get("models_info", info))
        print(section)
        report.write(ROOT / "BENCHMARKS.md", section, report_crf.START, report_crf.END)
    if "learning" in results:
        section = report_learning.render(results, results.get("learning_info", info))
        print(section)
        report.write(ROOT / "BENCHMARKS.md", section, report_learning.START, report_learning.END)
    print("bench: wrote BENCHMARKS.md", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
