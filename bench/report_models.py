"""The report's section for workers and models: CRF, gazetteer pre-annotation, job overhead."""

from __future__ import annotations

GAZETTEER_S = 20
OVERHEAD_MS = 200

INTRO = (
    "The CRF's figures (F1 on the shared corpora, training and tagging speed) and the "
    'likely-errors finder\'s are in the section "Models and likely errors" below. Gazetteer: in '
    "the 1,000,000-token project imported above (SQLite), a gold layer of its document (copied "
    "from the imported tags, so every span is confirmed), then one `gazetteer` job run in "
    "process with `jobs.run_job`; its layers are deleted afterwards. Job overhead: a real worker "
    "(`celery -A annotator.celery worker --pool=solo`) on Redis (db 12 or `BENCH_REDIS_URL`, "
    "flushed) and a fresh SQLite file; a one-sentence `import` job queued with `jobs.start_job` in "
    "`transaction.atomic()`, timed from just before the transaction to the row's `started_at`; "
    "2 warm-up jobs, then 20, one at a time."
)


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def gazetteer_rows(models: dict) -> list[tuple]:
    out = models.get("gazetteer") or {"error": "not run"}
    if "error" in out:
        return [("Gazetteer pre-annotation", "", out["error"], "error")]
    ok = out["seconds"] < GAZETTEER_S and out["state"] == "done"
    return [
        (f"Gazetteer pre-annotation, {out['tokens']:,} tokens ({out['documents']} document)",
         f"< {GAZETTEER_S} s, state done",
         f"{out['seconds']:.1f} s, {out['state']} ({out['phrases']:,} phrases; gold layer "
         f"made in {out['gold_layer_s']:.1f} s, untimed)", verdict(ok)),
    ]  # fmt: skip


def overhead_rows(models: dict) -> list[tuple]:
    out = models.get("overhead") or {"error": "not run"}
    if "error" in out:
        return [("Job overhead", "", out["error"], "error")]
    states = ", ".join(out["states"])
    return [
        (f"Job overhead with Redis, queue to `started_at`, median (p95) of {out['runs']}",
         f"< {OVERHEAD_MS} ms", f"{out['median_ms']:.0f} ms (p95 {out['p95_ms']:.0f} ms, "
         f"max {out['max_ms']:.0f} ms)", verdict(out["median_ms"] < OVERHEAD_MS)),
        ("Job outcomes (import of one sentence)", "done", states, verdict(states == "done")),
    ]  # fmt: skip


def rows(results: dict) -> list[tuple]:
    models = results["models"]
    return gazetteer_rows(models) + overhead_rows(models)
