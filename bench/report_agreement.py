"""The report's section for agreement: the measures alone, then the whole job on each database."""

from __future__ import annotations

TARGET_S = 5.0
TARGET_MB = 1024

INTRO = (
    "Three annotators over 1,000,000 tokens. *Measures alone*: `annotator.nlp.agreement."
    "agreement_report` on synthetic layers in a process without Django (`bench/agreement.py`: "
    "20-token sentences, about 15% of tokens in spans, 8 labels, about 10% of spans read "
    "differently, a few sentences missing), best of 3. *Whole job*: in the 1,000,000-token "
    "project imported above, three annotator layers copied from the imported tags with 10% of "
    "their sentences changed (a span relabelled, dropped or lengthened) and a submitted task "
    "each, then one `agreement` job run with `jobs.run_job`, the function the Celery task calls: "
    "loading the layers, every measure, the drill-down cells and the disagreement queue, and "
    "saving the report. Memory is the peak resident size of that process."
)


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def math_rows(results: dict) -> list[tuple]:
    out = results.get("agreement_math") or {"error": "not run"}
    if "error" in out:
        return [("Agreement measures alone", "", out["error"], "error")]
    ok = out["seconds"] < TARGET_S and out["peak_mb"] < TARGET_MB
    return [
        (f"Measures alone, {out['tokens']:,} tokens x {out['annotators']}",
         f"< {TARGET_S:.0f} s, < {TARGET_MB} MB",
         f"{out['seconds']:.2f} s, {out['peak_mb']:.0f} MB", verdict(ok)),
    ]  # fmt: skip


def job_rows(results: dict) -> list[tuple]:
    rows = []
    for db in ("SQLite", "PostgreSQL"):
        out = (results.get(db) or {}).get("agreement")
        if out is None:
            continue
        if "error" in out:
            rows.append((f"{db}: agreement job", "", out["error"], "error"))
            continue
        ok = out["seconds"] < TARGET_S and out["peak_rss_mb"] < TARGET_MB
        rows.append(
            (f"{db}: agreement job, {out['tokens']:,} tokens x {out['annotators']} annotators",
             f"< {TARGET_S:.0f} s, < {TARGET_MB} MB",
             f"{out['seconds']:.2f} s, peak {out['peak_rss_mb']:.0f} MB "
             f"(Fleiss' kappa {out['fleiss_kappa']:.3f})", verdict(ok))
        )  # fmt: skip
    return rows


def rows(results: dict) -> list[tuple]:
    return math_rows(results) + job_rows(results)
