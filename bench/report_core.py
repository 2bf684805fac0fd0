"""Issue 14's goals for the core, each against what `make bench` measured (its own section)."""

from __future__ import annotations

DBS = ("SQLite", "PostgreSQL")
EDIT_P50_MS = 6
DOCCANO_P99_MS = 134  # doccano 1.8.4, 8 clients, same machine (issue 14)
FLOOR_RATIO = 2
STATEMENTS = 6
EIGHT_EDITORS_PG = 225
SHORT_PAGE_P50_MS = 15
IMPORT_RATIO = 2.5

INTRO = (
    "Issue 14 compared the edit with doccano 1.8.4 (both under gunicorn, SQLite, over HTTP with "
    "token auth): p50 11.8 ms against 12.1 ms, and under 8 clients a p99 of 159 ms against "
    "doccano's 134 ms. `bench/http_edit.py` (step `http`) starts `gunicorn annotator.wsgi` as "
    "deployed (gunicorn.conf.py, `WEB_CONCURRENCY` sync workers, `DEBUG=0`, Redis as the cache) "
    "on the 100,000-sentence database of the edit tables, with `bench/floor_settings.py`: the "
    "production settings plus one bench-only URL, the *floor* (`bench/floor_urls.py`, a bare "
    "Django view doing the same one-row UPDATE and one history INSERT, no authentication, "
    "nothing read). Ours is the API's edit (`POST .../sentences/<id>/edit/` with a token, "
    "`op=label` on token 0, the previous answer's version); both are timed the same way over "
    "http.client: one client sending one edit after another (400 after 40 warm-up), then 8 "
    "clients at once, each sending its next edit when its answer comes (`BENCH_HTTP_SECONDS`, "
    "20 s), ours first, then the floor. The token rate limit is lifted for these runs (every "
    "request still counts in Redis). Server CPU per edit is gunicorn's, from `/proc`, which a "
    "busy machine does not inflate as it does the wall clock. Statements per edit are counted in "
    "process (`django.test.Client`, a reviewer editing gold, the second edit of a session) as "
    "Django counts them, BEGIN and COMMIT included. The eight editors are the page's (table "
    "above); the page and import figures are from their tables above."
)


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def _http(results: dict, db: str) -> dict:
    measured = results.get(db, {})
    return measured.get("http") or {"error": measured.get("skipped", "not run")}


def _edit_rows(results: dict, db: str) -> list[tuple]:
    out = _http(results, db)
    if "error" in out:
        return [(f"{db}: one edit over HTTP", "", out["error"], "error")]
    ours, floor = out["ours_sequential"], out["floor_sequential"]
    ours8, floor8 = out["ours_eight"], out["floor_eight"]
    ratio = ours["median_ms"] / floor["median_ms"]
    errors = sum(out[k]["errors"] + out[k]["unchanged"] for k in
                 ("ours_sequential", "floor_sequential", "ours_eight", "floor_eight"))  # fmt: skip
    counts = {way: len(sql) for way, sql in out["statements"].items()}
    return [
        (f"{db}: edit over HTTP, one client: p50 (p95)", f"≤ {EDIT_P50_MS} ms",
         f"{ours['median_ms']:.1f} ms ({ours['p95_ms']:.1f}); server CPU "
         f"{ours['server_cpu_ms']:.1f} ms", verdict(ours["median_ms"] <= EDIT_P50_MS)),
        (f"{db}: floor view, one client: p50 (p95)", "—",
         f"{floor['median_ms']:.1f} ms ({floor['p95_ms']:.1f}); server CPU "
         f"{floor['server_cpu_ms']:.1f} ms", "—"),
        (f"{db}: edit / floor, p50", f"≤ {FLOOR_RATIO}×",
         f"{ratio:.2f}× (server CPU {ours['server_cpu_ms'] / floor['server_cpu_ms']:.2f}×)",
         verdict(ratio <= FLOOR_RATIO)),
        (f"{db}: 8 clients: p99 (p50), edits/s", f"p99 < {DOCCANO_P99_MS} ms (doccano)",
         f"{ours8['p99_ms']:.1f} ms ({ours8['median_ms']:.1f}), {ours8['per_s']:.0f}/s",
         verdict(ours8["p99_ms"] < DOCCANO_P99_MS)),
        (f"{db}: floor, 8 clients: p99 (p50), edits/s", "—",
         f"{floor8['p99_ms']:.1f} ms ({floor8['median_ms']:.1f}), {floor8['per_s']:.0f}/s", "—"),
        (f"{db}: SQL statements per edit: API, page", f"≤ {STATEMENTS} each",
         f"{counts.get('api', '?')}, {counts.get('page', '?')}",
         verdict(max(counts.values()) <= STATEMENTS)),
        (f"{db}: errors, or answers not one version on", "0", str(errors), verdict(not errors)),
        (f"{db}: load average before, after", "—",
         f"{out['load_before'][0]:.2f}, {out['load_after'][0]:.2f}", "—"),
    ]  # fmt: skip


def rows(results: dict) -> list[tuple]:
    out = []
    for db in DBS:
        out += _edit_rows(results, db)
    load = results.get("PostgreSQL", {}).get("edits", {}).get("load") or {}
    if "edits_per_s" in load:
        rate = load["edits_per_s"]
        out.append(("PostgreSQL: eight editors (page), edits/s", f"≥ {EIGHT_EDITORS_PG}",
                    f"{rate:.0f}", verdict(rate >= EIGHT_EDITORS_PG)))  # fmt: skip
    for db in DBS:
        page = results.get(db, {}).get("page") or {}
        if "short_median_ms" in page:
            p50, ok = page["short_median_ms"], page["short_median_ms"] <= SHORT_PAGE_P50_MS
            out.append((f"{db}: 50-sentence document page, p50 (p95)",
                        f"≤ {SHORT_PAGE_P50_MS} ms",
                        f"{p50:.1f} ms ({page['short_p95_ms']:.1f}); CPU "
                        f"{page['short_cpu_ms']:.1f} ms", verdict(ok)))  # fmt: skip
    floor, ours = results.get("floor", {}), results.get("SQLite", {}).get("import", {})
    if "seconds" in floor and "seconds" in ours:
        ratio = ours["seconds"] / floor["seconds"]
        out.append(("SQLite: import of 1M tokens / stdlib floor", f"≤ {IMPORT_RATIO}×",
                    f"{ratio:.2f}×", verdict(ratio <= IMPORT_RATIO)))  # fmt: skip
    return out
