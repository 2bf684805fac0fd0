"""What issue 12's hardening costs and buys: a send to a broker that is down, counting an
upload's documents and sentences, and a large project's export job.

    DATABASE_URL=... .venv/bin/python bench/robustness.py   # the "Robustness" section

Timed: `jobs.send` of a job to a Redis address where nothing listens (the request that starts a
job while Redis is down waits this long, then says the queue is unreachable), median of 5;
`nlp.sizing.count` over a 20 MB CoNLL file of one-sentence documents, best of 3 (the upload form
pays this for every upload under IMPORT_JOB_THRESHOLD); the export job of a project of 18,018
one-sentence documents (the project whose download was cut at 2,625 documents by gunicorn's
120 s), once, in process with `jobs.run_job`. The numbers go to BENCHMARKS.md between the
robustness markers.
"""

from __future__ import annotations

import io
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- robustness:start -->", "<!-- robustness:end -->"
DOCUMENTS = int(os.environ.get("BENCH_ROBUSTNESS_DOCUMENTS", 18_018))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failed_send_seconds() -> float:
    from celery import Celery

    from annotator import tasks
    from annotator.models import Job
    from annotator.services import jobs

    app = Celery("bench-down", broker=f"redis://127.0.0.1:{closed_port()}/0", set_as_current=False)
    app.conf.broker_connection_timeout = 2
    app.conf.task_publish_retry_policy = {
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    }
    tasks.run_job.delay = lambda job_id: app.send_task("annotator.run_job", [job_id])
    job = Job.objects.create(kind="gazetteer", params={})
    times = []
    for _ in range(5):
        start = time.perf_counter()
        assert jobs.send(job.pk) is False
        times.append(time.perf_counter() - start)
    job.delete()
    return statistics.median(times)


def counting_mb_per_second() -> tuple[float, float]:
    from annotator.nlp import sizing

    data = ("-DOCSTART- O\n\nAda\tB-PER\nwrote\tO\nnotes\tO\n\n" * 600_000)[: 20 * 1024 * 1024]
    data = data.encode()
    best = min(_timed(lambda: sizing.count(io.BytesIO(data))) for _ in range(3))
    return len(data) / 1e6, best


def export_job_seconds() -> tuple[float, float, int]:
    from annotator.models import Job
    from annotator.services import corpus, jobs

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "documents.conll"
        with path.open("w", encoding="utf-8") as out:
            for number in range(DOCUMENTS):
                out.write(f"-DOCSTART- O\n\nAda\tB-PER\nwrote\tO\nnote{number}\tO\n\n")
        start = time.perf_counter()
        with path.open("rb") as stream:
            project = corpus.import_conll(
                project_name=f"bench-robustness-{time.time()}", files=[(path.name, stream)]
            ).project
        imported = time.perf_counter() - start
    job = Job.objects.create(kind="export", project=project, params={"scheme": "keep"})
    seconds = _timed(lambda: jobs.run_job(job.pk))
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    size = job.result["bytes"]
    project.delete()
    return imported, seconds, size


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def section(engine: str, send: float, counting: tuple, export: tuple) -> str:
    megabytes, count_seconds = counting
    imported, seconds, size = export
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    rows = [
        ("A send to a Redis that is down (median of 5)", f"{send:.2f} s"),
        (
            f"Counting documents and sentences of {megabytes:.0f} MB (best of 3)",
            f"{count_seconds:.2f} s ({megabytes / count_seconds:.0f} MB/s)",
        ),
        (f"Import of {DOCUMENTS:,} one-sentence documents (for the export)", f"{imported:.1f} s"),
        (
            f"Export job of those {DOCUMENTS:,} documents ({size:,} bytes)",
            f"{seconds:.1f} s ({DOCUMENTS / seconds:,.0f} documents/s)",
        ),
    ]
    table = "\n".join(f"| {what} | {value} |" for what, value in rows)
    return f"""{START}
### Robustness: a broker that is down, upload counts, the export job ({engine})

`bench/robustness.py` on {platform.node()} ({os.cpu_count()} cores), {when} UTC, load average
{load}. Wall-clock, so a loaded machine reads slower.

| what | time |
| --- | --- |
{table}
{END}"""


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="bench-robustness-"))
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    engine = "PostgreSQL" if engine == "postgresql" else "SQLite"
    new = section(engine, failed_send_seconds(), counting_mb_per_second(), export_job_seconds())
    print(new)
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    if START in text:
        text = text[: text.index(START)] + new + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
