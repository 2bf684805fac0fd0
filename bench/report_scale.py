"""The report's sections for first paint, project-wide search and auto-assignment."""

from __future__ import annotations

DBS = ("SQLite", "PostgreSQL")
PAINT_MS = 300
SEARCH_MS = 200
ASSIGN_S = 5.0

PAINT_INTRO = (
    "gunicorn (`annotator.wsgi`, 2 sync workers, `DEBUG=0`, static files collected and served "
    "by WhiteNoise) on the database the page and search measurements use; Debian Chromium "
    "(headless, through Playwright) logs in through the login form, then opens "
    "`/documents/<pk>/` of a 2,000-sentence document in a new tab 3 times untimed and 20 times "
    "timed. Read from the page: `first-contentful-paint` (paint timing) and the navigation "
    "timing (`responseStart`, `domContentLoadedEventEnd`), all from navigation start. Judged on "
    "the median; the p95 is the 19th of 20. The login page (the same base template, almost no "
    "content), loaded the same way, shows the browser's own floor on this machine."
)
SEARCH_INTRO = (
    "The 1,000,000-token project imported above (one document). `annotator.search.find` in "
    "process, and the search page `GET /projects/<pk>/search/?q=...` through "
    "`django.test.Client` logged in as a superuser; 20 timed calls each after one warm-up, "
    "judged on the median. SQL queries are counted in one extra call. `find` stops collecting "
    "at 5,000 matching sentences."
)
ASSIGN_INTRO = (
    "A fresh database per engine: one CoNLL file of 10,000 `-DOCSTART-` documents of one short "
    "sentence each (imported with `import_conll`), 20 members with role annotator, k = 3, whole "
    "documents as tasks, no cap. Timed once: `assignment.auto_assign(manager=..., project=..., "
    "documents=list(project.documents.all()))`, committed, which creates the tasks, their "
    "events and each annotator's layer of each document. The pure planner "
    "(`assignment.plan`, no database) is timed on the same 10,000 units, best of 5. When the "
    "call misses its target, `make bench` profiles it (see `var/bench/profile-assign-*.txt`)."
)


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def _get(results: dict, db: str, part: str) -> dict:
    found = results.get(db, {})
    if "skipped" in found:
        return {"error": found["skipped"]}
    return found.get(part) or {"error": "not run"}


def _ms(stat: dict) -> str:
    if stat.get("median_ms") is None:
        return "not measured"
    return f"{stat['median_ms']:.0f} ms (p95 {stat['p95_ms']:.0f} ms)"


def paint_rows(results: dict) -> list[tuple]:
    rows = []
    for db in DBS:
        out = _get(results, db, "paint")
        if "error" in out:
            rows.append((f"{db}: first paint", "", out["error"], "error"))
            continue
        fcp = out["fcp"]["median_ms"]
        failed = ", ".join(out["failed_requests"]) or "none"
        doc = out["document"]
        rows += [
            (f"{db}: first-contentful-paint, median (p95) of {out['loads']}",
             f"< {PAINT_MS} ms", _ms(out["fcp"]), verdict(fcp is not None and fcp < PAINT_MS)),
            (f"{db}: first byte (responseStart)", "—", _ms(out["response_start"]), "—"),
            (f"{db}: DOMContentLoaded", "—", _ms(out["dom_content_loaded"]), "—"),
            (f"{db}: floor: login page first-contentful-paint", "—",
             _ms(out["baseline"]["fcp"]), "—"),
            (f"{db}: page shown", "—",
             f"{doc['sentences']:,}-sentence document, {out['sentences_shown']} sentences on "
             f"page 1, {out['bytes'] / 1000:.0f} kB HTML, {out['elements']:,} elements", "—"),
            (f"{db}: failed requests (status ≥ 400)", "none", failed,
             verdict(not out["failed_requests"])),
        ]  # fmt: skip
    return rows


def search_rows(results: dict) -> list[tuple]:
    rows = []
    for db in DBS:
        out = _get(results, db, "search")
        if "error" in out:
            rows.append((f"{db}: search", "", out["error"], "error"))
            continue
        for phrase in ("PyTorch", "neural network"):
            found = out[phrase]
            capped = " (capped at 5,000 sentences)" if found["occurrences"] >= 5000 else ""
            rows.append(
                (f'{db}: "{phrase}": occurrences (taggings)', "—",
                 f"{found['occurrences']:,}{capped} ({found['groups']})", "—")
            )  # fmt: skip
            for what, name in (("find", "`search.find`"), ("page", "search page")):
                m = found[what]
                extra = f", {m['bytes'] / 1000:.0f} kB" if "bytes" in m else ""
                rows.append(
                    (f'{db}: "{phrase}": {name}', f"< {SEARCH_MS} ms",
                     f"{_ms(m)}, {m['queries']} queries{extra}",
                     verdict(m["median_ms"] < SEARCH_MS))
                )  # fmt: skip
    return rows


def assign_rows(results: dict) -> list[tuple]:
    rows = []
    for db in DBS:
        out = _get(results, db, "assign")
        if "error" in out:
            rows.append((f"{db}: auto-assignment", "", out["error"], "error"))
            continue
        setup, plan, call = out["setup"], out["plan"], out["auto_assign"]
        rows += [
            (f"{db}: project", "10,000 documents",
             f"{setup['documents']:,} documents, {setup['tokens']:,} tokens "
             f"(import {setup['import_s']:.1f} s)", verdict(setup["documents"] == 10_000)),
            (f"{db}: `auto_assign`, 20 annotators, k = 3", f"< {ASSIGN_S:.0f} s",
             f"{call['seconds']:.2f} s", verdict(call["seconds"] < ASSIGN_S)),
            (f"{db}: tasks created (annotator layers)", "30,000",
             f"{call['tasks']:,} ({call['annotator_layers']:,} layers, "
             f"{call['annotators_with_tasks']} annotators)", verdict(call["tasks"] == 30_000)),
            (f"{db}: SQL statements in the call", "—", f"{call['statements']:,}", "—"),
            (f"{db}: planner alone (`assignment.plan`, {plan['units']:,} units)", "—",
             f"{plan['best_s'] * 1000:.0f} ms (median {plan['median_s'] * 1000:.0f} ms), "
             f"{plan['assignments']:,} assignments", "—"),
        ]  # fmt: skip
    return rows
