"""Label changes on 1,000,000 tokens: the merge preview, the merge, a rename, a removal.

    DATABASE_URL=postgres://... .venv/bin/python bench/labels.py   # the "Labels" section

The sample's sentences repeated to >= 1,000,000 tokens (bench/generate.py's BIG file) are
imported into a fresh project, and gold is started on every document (a copy of the imported
tags), so each change rewrites two layers, as it would in a project under review. Then, timed
once each in this order: the preview of merging Architecture into Algorithm, the merge itself, a
rename of Application, the preview and removal of Language. Query counts come from one more run of
each preview. The numbers go to BENCHMARKS.md between the labels markers.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotator.settings")

from common import BIG, ROOT, peak_rss_mb  # noqa: E402

PROJECT = "bench-labels"
START, END = "<!-- labels:start -->", "<!-- labels:end -->"


def timed(call):
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def measure() -> dict:
    from django.contrib.auth import get_user_model

    from annotator.models import Project
    from annotator.services import label_changes
    from annotator.services.corpus import import_conll
    from annotator.services.editing import ensure_working_layer
    from annotator.services.labels import ADD, NewLabels

    Project.objects.filter(name=PROJECT).delete()
    with BIG.open("rb") as stream:
        seconds, summary = timed(
            lambda: import_conll(
                project_name=PROJECT, files=[(BIG.name, stream)], new_labels=NewLabels(ADD)
            )
        )
    project = summary.project
    for document in project.documents.all():
        document.project = project
        ensure_working_layer(document)
    user, _ = get_user_model().objects.get_or_create(username="bench-labels")
    out: dict = {"tokens": summary.tokens, "sentences": summary.sentences, "import_s": seconds}

    def plan(label, into):
        return label_changes.plan_label_change(project=project, label=label, into=into)

    out["merge_preview_s"], preview = timed(lambda: plan("Architecture", "Algorithm"))
    out["merge_preview_queries"] = queries(lambda: plan("Architecture", "Algorithm"))
    out["merged_spans"], out["merged_sentences"] = preview.spans, preview.sentences
    out["merge_s"], _ = timed(
        lambda: label_changes.merge_labels(
            user=user,
            project=project,
            label="Architecture",
            into="Algorithm",
            preview=preview.token,
        )
    )
    out["rename_s"], out["renamed_spans"] = timed(
        lambda: label_changes.rename_label(
            user=user, project=project, label="Application", new_name="App"
        )
    )
    out["remove_preview_s"], removal = timed(lambda: plan("Language", None))
    out["removed_spans"] = removal.spans
    out["remove_s"], _ = timed(
        lambda: label_changes.remove_label(
            user=user, project=project, label="Language", preview=removal.token
        )
    )
    out["peak_rss_mb"] = peak_rss_mb()
    Project.objects.filter(pk=project.pk).delete()
    return out


def section(result: dict, database: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    r = result
    return f"""{START}
## Labels (bench/labels.py)

{when}, {platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()}),
{database}, load average {os.getloadavg()[0]:.0f} when it ended (other work shared the
machine: the times are upper bounds). {r["tokens"]:,} tokens in
{r["sentences"]:,} sentences, gold started on every document, so each change rewrites two
layers (imported and gold) and records one history entry per changed sentence and layer.

| change | spans | time |
| --- | ---: | ---: |
| preview: merge Architecture into Algorithm ({r["merge_preview_queries"]} queries) | {r["merged_spans"]:,} in {r["merged_sentences"]:,} sentence rows | {r["merge_preview_s"]:.2f} s |
| merge Architecture into Algorithm (confirmed) | {r["merged_spans"]:,} | {r["merge_s"]:.2f} s |
| rename Application | {r["renamed_spans"]:,} | {r["rename_s"]:.2f} s |
| preview: remove Language | {r["removed_spans"]:,} | {r["remove_preview_s"]:.2f} s |
| remove Language (confirmed) | {r["removed_spans"]:,} | {r["remove_s"]:.2f} s |

Peak memory {r["peak_rss_mb"]:.0f} MB. A change reads only the rows whose tags mention the
label (a text filter in the database) and writes them in bulk (1,000 rows an UPDATE ... FROM
VALUES, the history by COPY), so its time grows with the label's use, not with the corpus. The
first version (Django's bulk_update and bulk_create, the preview counted again before writing)
took 75 s for the same merge.
{END}"""  # noqa: E501 - a Markdown table, one row a line


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not BIG.exists():
        raise SystemExit(f"{BIG} is missing: run bench/generate.py first")
    call_command("migrate", verbosity=0)
    result = measure()
    print(json.dumps(result))
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    new = section(result, "PostgreSQL" if database == "postgresql" else database)
    if START in text:
        text = text[: text.index(START)] + new + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + new + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
