"""The migration that gathers a model's per-kind columns into its settings keeps every value."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("annotator", "0001_initial")]
AFTER = [("annotator", "0002_tagger_settings")]


@pytest.mark.django_db(transaction=True)
def test_existing_models_keep_their_url_pipeline_and_mapping():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        moved = _moved(executor)
    finally:
        MigrationExecutor(connection).migrate(latest)  # as the other tests expect it
    assert moved == {
        "c": ("crf", "project-1/c-v1.crfsuite", {}),
        "r": ("remote", "", {"url": "http://127.0.0.1:9/"}),
        "s": ("spacy", "", {"pipeline": "en_core_web_sm", "mapping": {"ORG": "Org"}}),
    }


def _moved(executor) -> dict:
    old = executor.loader.project_state(BEFORE).apps
    project = old.get_model("annotator", "Project").objects.create(name="Old", labels=["Org"])
    TaggerModel = old.get_model("annotator", "TaggerModel")
    common = {"project": project, "version": 1}
    TaggerModel.objects.create(name="c", kind="crf", path="project-1/c-v1.crfsuite", **common)
    TaggerModel.objects.create(name="r", kind="remote", url="http://127.0.0.1:9/", **common)
    TaggerModel.objects.create(
        name="s", kind="spacy", pipeline="en_core_web_sm", mapping={"ORG": "Org"}, **common
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("annotator", "TaggerModel")
    return {m.name: (m.kind, m.path, m.settings) for m in new.objects.all()}
