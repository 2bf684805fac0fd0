"""The review UI's edit endpoint against a 100,000-sentence project (one process per command).

    edits.py setup    import the 100k-sentence file, create the gold layer and the editors
    edits.py single   one editor, sequential edits through django.test.Client

Every edit labels token 0 of a sentence, alternating between two of the project's labels, so
each one really changes the tags and bumps the sentence's version by exactly 1.
"""

from __future__ import annotations

import math
import re
import statistics
import sys
import time

import django
from common import EDIT, EDIT_PROJECT, EDITOR_PASSWORD, EDITORS, emit, peak_rss_mb

# Gold is edited by reviewers (annotators edit their own layers, inside tasks): see access.py.
REVIEWER = "reviewer"
WARMUP = 20
EDITS = 400  # measured, after the warm-up
SINGLE_POOL = 100  # sentences the single editor cycles through (positions 0..99)
LOAD_FIRST = 50_000  # the concurrent editors work in the middle of the document
VERSION = re.compile(rb'data-version="(\d+)"')


def editor_name(i: int) -> str:
    return f"editor{i}"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank


def entity(tag: str) -> str | None:
    return tag.split("-", 1)[1] if "-" in tag else None


class Sentence:
    """One sentence an editor edits: its id, the version it saw, and token 0's label."""

    def __init__(self, pk: int, version: int, tag0: str) -> None:
        self.pk, self.version, self.current = pk, version, entity(tag0)

    def form(self, pair: tuple[str, str]) -> dict[str, str]:
        """The edit's form fields: label token 0 with whichever label it does not have."""
        label = pair[1] if self.current == pair[0] else pair[0]
        return {"layer": "gold", "sentence": str(self.pk), "version": str(self.version),
                "op": "label", "start": "0", "end": "1", "label": label}  # fmt: skip

    def advance(self, form: dict[str, str], body: bytes) -> bool:
        """Take the version from the response; True if it is exactly one more than before."""
        found = VERSION.search(body)
        version = int(found.group(1)) if found else -1
        ok = version == self.version + 1
        self.version, self.current = version, form["label"]
        return ok


def plan(first: int, count: int) -> tuple[int, tuple[str, str], list[Sentence]]:
    """The document, the two labels, and the gold rows of sentences first..first+count-1."""
    from annotator.models import GOLD, Document, SentenceTags

    document = Document.objects.select_related("project").get(project__name=EDIT_PROJECT)
    labels = document.project.labels
    if len(labels) < 2:
        raise SystemExit(f"bench: the project needs two labels to alternate, has {labels}")
    rows = (
        SentenceTags.objects.filter(
            layer__document=document,
            layer__name=GOLD,
            sentence__position__gte=first,
            sentence__position__lt=first + count,
        )
        .order_by("sentence__position")
        .values_list("sentence_id", "version", "tags")
    )
    sentences = [Sentence(pk, version, tags[0]) for pk, version, tags in rows]
    if len(sentences) != count:
        raise SystemExit(f"bench: expected {count} gold rows from {first}, got {len(sentences)}")
    return document.pk, (labels[0], labels[1]), sentences


def setup() -> dict:
    from django.contrib.auth import get_user_model

    from annotator.models import Membership
    from annotator.services import corpus, editing

    start = time.perf_counter()
    with EDIT.open("rb") as stream:
        summary = corpus.import_conll(project_name=EDIT_PROJECT, files=[(EDIT.name, stream)])
    imported = time.perf_counter() - start
    document = summary.project.documents.get()
    start = time.perf_counter()
    editing.ensure_working_layer(document)  # copies 100k rows; the first edit would do it
    layer_seconds = time.perf_counter() - start
    users = get_user_model().objects
    for i in range(EDITORS):
        user = users.create_user(editor_name(i), f"{editor_name(i)}@example.com", EDITOR_PASSWORD)
        Membership.objects.create(project=summary.project, user=user, role=REVIEWER)
    return {
        "import_seconds": imported,
        "gold_layer_seconds": layer_seconds,
        "sentences": summary.sentences,
        "tokens": summary.tokens,
        "documents": summary.documents,
        "labels": len(summary.project.labels),
        "peak_rss_mb": peak_rss_mb(),
    }


def single() -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    document, pair, sentences = plan(0, SINGLE_POOL)
    url = reverse("annotator-sentence-edit", kwargs={"pk": document})
    client = Client(headers={"HX-Request": "true"})
    if not client.login(username=editor_name(0), password=EDITOR_PASSWORD):
        raise SystemExit("bench: could not log in")
    times, queries, unchanged = [], [], 0
    for i in range(WARMUP + EDITS):
        sentence = sentences[i % len(sentences)]
        form = sentence.form(pair)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.post(url, form)
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"bench: edit answered {response.status_code}: {form}")
        unchanged += not sentence.advance(form, response.content)
        if i >= WARMUP:
            times.append(elapsed)
            queries.append(len(captured))
    return {
        "edits": EDITS,
        "warmup": WARMUP,
        "median_ms": statistics.median(times),
        "p95_ms": p95(times),
        "queries": sorted(set(queries)),
        "unchanged": unchanged,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    command = sys.argv[1]
    if command == "setup":
        emit(setup())
    elif command == "single":
        emit(single())
    else:
        raise SystemExit(f"bench: unknown command {command!r}")


if __name__ == "__main__":
    main()
