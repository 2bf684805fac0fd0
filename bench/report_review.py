"""The review UI's sections of the report: one editor, then eight under gunicorn."""

from __future__ import annotations

DBS = ("SQLite", "PostgreSQL")
SINGLE_MEDIAN_MS, SINGLE_P95_MS = 10, 15
LOAD_RATE, LOAD_P95_MS = 225, 90

SINGLE_INTRO = (
    "Each database gets one project of 100,000 sentences (the sample's sentences repeated), "
    "imported with `import_conll` and shared by both tables below. One editor (a project "
    "reviewer) posts `op=label` edits to `/documents/<pk>/edit/` through `django.test.Client`, "
    "one after another, cycling over 100 sentences and alternating two labels on token 0 so "
    "every edit changes the tags; each request carries the version from the previous response. "
    "Timed: request to re-rendered sentence, in process."
)
LOAD_INTRO = (
    "gunicorn (`annotator.wsgi`, sync workers, `DEBUG=0`) on the same database; 8 client threads "
    "(http.client) each log in as a different reviewer through the login form, warm up with 10 "
    "edits, then edit their own 300 sentences as fast as answers come back. CPU per edit is "
    "measured from `/proc` over the window: gunicorn's processes, the PostgreSQL backends, the "
    "client threads, and everything else running on the machine (not ours, but it competes)."
)


def _skip(results: dict, db: str, part: str) -> dict:
    edits = results[db].get("edits")
    if edits is None:
        return {"error": results[db].get("skipped", "not run")}
    if "error" in edits.get("setup", {}):
        return {"error": "setup: " + edits["setup"]["error"]}
    return edits.get(part) or {"error": "not run"}


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def single_rows(results: dict) -> list[tuple]:
    rows = []
    for db in DBS:
        out = _skip(results, db, "single")
        if "error" in out:
            rows.append((f"{db}: one editor", "", out["error"], "error"))
            continue
        setup = results[db]["edits"]["setup"]
        queries = ", ".join(map(str, out["queries"]))
        rows += [
            (f"{db}: project", "100,000 sentences",
             f"{setup['sentences']:,} sentences, {setup['tokens']:,} tokens (import "
             f"{setup['import_seconds']:.1f} s, gold layer {setup['gold_layer_seconds']:.1f} s)",
             verdict(setup["sentences"] >= 100_000)),
            (f"{db}: median of {out['edits']} edits", f"< {SINGLE_MEDIAN_MS} ms",
             f"{out['median_ms']:.1f} ms", verdict(out["median_ms"] < SINGLE_MEDIAN_MS)),
            (f"{db}: p95", f"< {SINGLE_P95_MS} ms", f"{out['p95_ms']:.1f} ms",
             verdict(out["p95_ms"] < SINGLE_P95_MS)),
            (f"{db}: SQL queries per edit", "—", queries, "—"),
            (f"{db}: every edit bumped the version by 1", "yes",
             "yes" if not out["unchanged"] else f"no ({out['unchanged']} did not)",
             verdict(not out["unchanged"])),
        ]  # fmt: skip
    return rows


def _cpu(out: dict) -> str:
    per = out["cpu_ms_per_edit"]
    parts = [f"server {per['server']:.1f}"]
    if per.get("database"):
        parts.append(f"database {per['database']:.1f}")
    parts.append(f"clients {per['clients']:.1f}")
    return ", ".join(parts) + " ms"


def load_rows(results: dict) -> list[tuple]:
    rows = []
    for db in DBS:
        out = _skip(results, db, "load")
        if "error" in out:
            rows.append((f"{db}: eight editors", "", out["error"], "error"))
            continue
        rate, p95 = out["edits_per_s"], out["p95_ms"] or float("inf")
        kinds = ", ".join(out["error_kinds"])
        errors = f"{out['errors']} ({kinds})" if out["errors"] else "0"
        busy = out["cores_busy"]
        rows += [
            (f"{db}: edits/s ({out['edits']:,} in {out['seconds']:.1f} s)", f"> {LOAD_RATE}",
             f"{rate:.0f}", verdict(rate > LOAD_RATE)),
            (f"{db}: p95 (median)", f"< {LOAD_P95_MS} ms",
             f"{p95:.1f} ms ({out['median_ms']:.1f} ms)", verdict(p95 < LOAD_P95_MS)),
            (f"{db}: errors (non-200 or no answer)", "0", errors, verdict(not out["errors"])),
            (f"{db}: every edit bumped the version by 1", "yes",
             "yes" if not out["unchanged"] else f"no ({out['unchanged']} did not)",
             verdict(not out["unchanged"])),
            (f"{db}: CPU per edit", "—", _cpu(out), "—"),
            (f"{db}: cores busy: ours / other processes", "—",
             f"{busy['machine'] - busy['other']:.2f} / {busy['other']:.2f} "
             f"(load average {out['load_average']:.2f})", "—"),
        ]  # fmt: skip
    return rows


def workers(results: dict) -> str:
    for db in DBS:
        load = _skip(results, db, "load")
        if "workers" in load:
            return f"{load['workers']} sync workers"
    return "sync workers"
