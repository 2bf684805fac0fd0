"""The report's section for workers and models: CRF, gazetteer pre-annotation, job overhead."""

from __future__ import annotations

TRAIN_S = 180
TAG_RATE = 20_000
GAZETTEER_S = 20
OVERHEAD_MS = 200

INTRO = (
    "CRF (`annotator.nlp.crf`, python-crfsuite, 100 L-BFGS iterations, IOB2 tags read with "
    "`annotator.nlp.conll.read`) in a process without Django: trained on the first ~200,000 "
    "tokens of wikiser-small dev (`../shared/samples`, a public corpus, Apache-2.0 / CC BY-SA; "
    "the generated 1M-token file when it is absent), then `Tagger.tag` over ~50,000 tokens of the "
    "sentences after them (one warm-up sentence). Held-out F1: exact spans (`crf.evaluate`), "
    "micro-averaged, a model trained on a seeded 90/10 split of the sentences; no target: both "
    "corpora are weakly labelled (their tags were not reviewed by hand), so the score says as "
    "much about the labels as about the model. Gazetteer: in the 1,000,000-token project imported "
    "above (SQLite), a gold layer of its document (copied from the imported tags, so every span "
    "is confirmed), then one `gazetteer` job run in process with `jobs.run_job`; its layers are "
    "deleted afterwards. Job overhead: a real worker (`celery -A annotator.celery worker "
    "--pool=solo`) on Redis (db 13, flushed) and a fresh SQLite file; a one-sentence `import` job "
    "queued with `services.start_job` in `transaction.atomic()`, timed from just before the "
    "transaction to the row's `started_at`; 2 warm-up jobs, then 20, one at a time."
)


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def _f1(name: str, out: dict) -> tuple:
    micro = out["micro"]
    return (
        f"Held-out F1, {name} (`{out['file']}`, weakly labelled)", "— (no target)",
        f"{micro['f1']:.3f} (P {micro['precision']:.3f}, R {micro['recall']:.3f}; "
        f"{out['test_tokens']:,} test tokens, {micro['support']:,} spans, "
        f"{out['labels']} labels; trained on {out['train_tokens']:,} tokens in "
        f"{out['train_s']:.1f} s)", "—",
    )  # fmt: skip


def crf_rows(models: dict) -> list[tuple]:
    crf = models.get("crf") or {"error": "not run"}
    if "error" in crf:
        return [("CRF", "", crf["error"], "error")]
    speed = crf["speed"]
    rows = [
        (f"CRF training, {speed['train_tokens']:,} tokens of `{speed['corpus']}`, "
         f"{speed['iterations']} iterations", f"< {TRAIN_S} s",
         f"{speed['train_s']:.1f} s ({speed['train_sentences']:,} sentences)",
         verdict(speed["train_s"] < TRAIN_S)),
        ("CRF tagging, held-out sentences", f"≥ {TAG_RATE:,} tokens/s",
         f"{speed['tokens_per_s']:,} tokens/s ({speed['tag_tokens']:,} tokens in "
         f"{speed['tag_s']:.2f} s)", verdict(speed["tokens_per_s"] >= TAG_RATE)),
    ]  # fmt: skip
    names = {"rnn": "RNN sample", "wikiser": "wikiser-small dev"}
    rows += [_f1(names.get(key, key), out) for key, out in crf["f1"].items()]
    return rows


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
    return crf_rows(models) + gazetteer_rows(models) + overhead_rows(models)
