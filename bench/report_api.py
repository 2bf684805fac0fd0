"""The API's section of the report: 20 token clients on the edit endpoint (bench/api_load.py)."""

from __future__ import annotations

DBS = ("SQLite", "PostgreSQL")
TARGET_P95_MS = 100

INTRO = (
    "Issue 7's figure: the edit endpoint under the production server, 20 concurrent clients, "
    "p95 under 100 ms and no errors for 60 s. On the same 100,000-sentence database as the two "
    "tables above, `gunicorn annotator.wsgi` runs as the web container runs it (gunicorn.conf.py "
    "with its access log and worker recycling, `WEB_CONCURRENCY` sync workers, `DEBUG=0`, Redis "
    "as the cache that counts the token rate limit); only the TLS proxy is missing (plain HTTP "
    "to 127.0.0.1, no SSL redirect). 20 reviewers, each with an API token, are 20 client "
    "threads (http.client, one connection each, reopened when the server closes it); each posts "
    "JSON span edits to `/api/v1/documents/<pk>/sentences/<id>/edit/` on 1,000 sentences of its "
    "own, labelling token 0 with whichever of two labels it does not have and sending the "
    "version of the previous answer, so every edit changes the tags and none is stale. Any "
    "answer but 200 (a 409 or a 429 too) or no answer is an error. Each run starts a fresh "
    "server and a flushed Redis database, warms up with 10 edits per client, then measures for "
    "the window. *Paced* (judged): each client edits every `BENCH_API_PACE` seconds on average "
    "(uniformly 0.5 to 1.5 times that apart, clients staggered; 0.5 s, so 40 edits/s offered): "
    "20 brisk reviewers at once; a send more than 10 ms behind its time (because the previous "
    "answer was slow) is counted as late. *Closed loop* (the ceiling): each client sends its "
    "next edit as soon as the answer arrives. By Little's law its mean latency is 20 / "
    "throughput, so no latency target applies, only zero errors. The paced run keeps the "
    "deployment's token rate limit (`API_RATE`, 600/minute); the closed loop lifts it "
    "(`BENCH_API_CLOSED_RATE`, 1000000/minute), since on a quiet machine a client gets more "
    "than 10 answers a second and the limit, not the server, would answer 429; the throttle "
    "still counts every request in Redis, so its cost stays measured. CPU per edit is from "
    "`/proc` over the window: gunicorn (the workers it recycled included), the PostgreSQL "
    "backends, Redis, and the client threads. When the paced p95 misses (or `BENCH_PROFILE=1`), "
    "200 edits are then timed in process through `django.test.Client` with the same token, "
    "database and cache, with their SQL, and 200 more profiled "
    "(`var/bench/profile-api-<db>.txt`). Knobs: `BENCH_WORKERS`, `BENCH_API_SECONDS` (60), "
    "`BENCH_API_PACE` (0.5), `BENCH_API_CLOSED_RATE`, `BENCH_API_REDIS_URL` (db 12, flushed)."
)


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def _result(results: dict, db: str) -> dict:
    out = results.get(db, {})
    if "skipped" in out:
        return {"error": out["skipped"]}
    return out.get("api") or {"error": "not run"}


def _cpu(out: dict) -> str:
    per = out["cpu_ms_per_edit"]
    parts = [f"server {per['server']:.1f}"]
    for group in ("database", "cache"):
        if per.get(group):
            parts.append(f"{group} {per[group]:.1f}")
    parts.append(f"clients {per['clients']:.1f}")
    return ", ".join(parts) + " ms"


def _errors(out: dict) -> str:
    if not out["errors"]:
        return "0"
    kinds = ", ".join(f"{kind} × {count}" for kind, count in out["error_kinds"].items())
    return f"{out['errors']} ({kinds})"


def _load(out: dict) -> str:
    busy = out["cores_busy"]
    before, after = out["load_average_before"][0], out["load_average"][0]
    return (
        f"{busy['machine'] - busy['other']:.2f} / {busy['other']:.2f} "
        f"(load average {before:.2f} before, {after:.2f} after)"
    )


def _run_rows(db: str, out: dict, paced: bool) -> list[tuple]:
    name = f"{db}, {'paced' if paced else 'closed loop'}"
    p95 = out["p95_ms"] or float("inf")
    latency = f"{p95:.1f} ms (median {out['median_ms']:.1f}, p99 {out['p99_ms']:.1f}, max " \
              f"{out['max_ms']:.1f})"  # fmt: skip
    if paced:
        rate = f"{out['requests_per_s']:.1f} of {out['offered_per_s']:.0f} offered"
        rate += f", {out['late_sends']} sent late" if out["late_sends"] else ""
        p95_row = (f"{name}: p95 (median, p99, max)", f"< {TARGET_P95_MS} ms", latency,
                   verdict(p95 < TARGET_P95_MS))  # fmt: skip
    else:
        rate = f"{out['requests_per_s']:.0f}"
        little = 1000 * len(out["per_client"]) / out["requests_per_s"]
        p95_row = (f"{name}: p95 (median, p99, max)",
                   f"— (mean = clients / rate = {little:.0f} ms)", latency, "—")  # fmt: skip
    rate += f" (API_RATE {out['api_rate']})" if "api_rate" in out else ""
    unchanged = out["unchanged"]
    return [
        (f"{name}: requests/s ({out['ok']:,} edits in {out['seconds']:.1f} s)", "—", rate, "—"),
        p95_row,
        (f"{name}: errors (not 200, or no answer)", "0", _errors(out), verdict(not out["errors"])),
        (f"{name}: every edit bumped the version by 1", "yes",
         "yes" if not unchanged else f"no ({unchanged} did not)", verdict(not unchanged)),
        (f"{name}: CPU per edit", "—", _cpu(out), "—"),
        (f"{name}: connections opened / workers recycled", "—",
         f"{out['connections']:,} / {out['worker_restarts']}", "—"),
        (f"{name}: cores busy: ours / other processes", "—", _load(out), "—"),
    ]  # fmt: skip


def rows(results: dict) -> list[tuple]:
    out = []
    for db in DBS:
        api = _result(results, db)
        if "error" in api:
            out.append((f"{db}: API edits", "", api["error"], "error"))
            continue
        out += _run_rows(db, api["paced"], paced=True)
        out += _run_rows(db, api["closed"], paced=False)
        if api.get("profile"):
            prof = api["profile"]
            out.append((f"{db}: one edit in process, profiled (median of {prof['edits']})", "—",
                        f"{prof['median_ms']:.1f} ms, of which SQL {prof['sql_median_ms']:.1f} ms "
                        f"({prof['statements']} statements)", "—"))  # fmt: skip
    return out


def workers(results: dict) -> str:
    for db in DBS:
        api = _result(results, db)
        if "workers" in api:
            return f"{api['workers']} sync workers"
    return "sync workers"
