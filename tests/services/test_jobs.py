"""Jobs without a worker: run_job is called in-process, the way the Celery task calls it."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from annotator.jobs import registry
from annotator.jobs.base import JobKind
from annotator.models import (
    IMPORTED,
    Document,
    Job,
    Membership,
    Sentence,
    SentenceTags,
    TagLayer,
    WorkerHeartbeat,
)
from annotator.services import editing, jobs
from tests.conftest import BROKEN, SMALL, import_files, row_counts
from tests.workerutil import write_conll

pytestmark = pytest.mark.django_db

WAITING = "waiting for a worker (none is running)"


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path, isolated_cache):
    """Uploads under tmp_path (and job progress in a cache of this test only)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued(monkeypatch):
    """Jobs the services queued for a worker, as (job id) in order; nothing reaches a broker."""
    from annotator import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.run_job, "delay", sent.append)
    return sent


def upload_copy(tmp_path: Path, *files: Path) -> tuple[list[str], list[str]]:
    """Copy files where an upload view would save them: one folder per upload."""
    folder = tmp_path / "media" / "uploads" / "one"
    folder.mkdir(parents=True)
    paths = []
    for number, source in enumerate(files):
        target = folder / f"{number}.conll"
        shutil.copyfile(source, target)
        paths.append(str(target))
    return paths, [f.name for f in files]


def import_job(project, user, tmp_path: Path, *files: Path, **params) -> Job:
    paths, names = upload_copy(tmp_path, *files)
    return jobs.start_job(
        kind="import",
        user=user,
        project=project,
        params={"paths": paths, "names": names, **params},
    )


def documents_of(project) -> list[str]:
    return list(project.documents.order_by("position").values_list("name", flat=True))


def job_url(job: Job, name: str = "annotator-job-progress") -> str:
    return reverse(name, args=[job.pk])


def jobs_page(project) -> str:
    return reverse("annotator-project-jobs", args=[project.pk])


# Starting and queueing -------------------------------------------------------------------------


def test_start_job_queues_the_job_id_only_when_the_transaction_commits(
    project, member, tmp_path, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_job(project, member, tmp_path, SMALL)
        assert queued == []
    assert job.state == Job.State.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued == [job.pk]


def test_start_job_refuses_an_unknown_kind(project, member):
    with pytest.raises(ValueError, match="unknown job kind"):
        jobs.start_job(kind="nonsense", user=member, project=project, params={})
    assert not Job.objects.exists()


# Import jobs -----------------------------------------------------------------------------------


def test_an_import_job_imports_the_files_and_records_the_summary(project, member, tmp_path):
    job = import_job(project, member, tmp_path, SMALL, SMALL)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    assert job.error == ""
    assert job.attempts == 1
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert job.result["documents"] == 2
    assert job.result["sentences"] == 8
    assert job.result["tokens"] == 2 * 26
    assert job.result["new_labels"] == []
    assert job.message == "Imported 52 tokens."
    assert job.percent == 100
    assert documents_of(project) == ["small.conll", "small.conll", "small.conll"]
    imported = Document.objects.filter(project=project).order_by("position")[1:]
    for document in imported:
        assert document.layers.get().name == IMPORTED
        assert SentenceTags.objects.filter(layer__document=document).count() == 4
    # The saved upload is not kept once imported.
    assert not (tmp_path / "media" / "uploads" / "one").exists()


def test_an_import_job_records_new_labels_and_warnings(project, member, tmp_path):
    odd = tmp_path / "odd.conll"
    odd.write_text("Ada\tB-PER\nLovelace\tI-PER\nwrote\tO\nnotes\tI-WORK\n")
    job = import_job(project, member, tmp_path, odd, new_labels={"action": "add"})
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    assert job.result["new_labels"] == ["WORK"]
    assert job.result["warning_count"] == 1
    assert "odd.conll, line 4" in job.result["warnings"][0]


def test_a_broken_file_fails_the_job_with_file_and_line_and_writes_nothing(
    project, member, tmp_path
):
    job = import_job(project, member, tmp_path, SMALL, BROKEN)
    before = row_counts()
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "Nothing was imported." in job.error
    assert "broken.conll, line 8" in job.error
    assert "X-Algorithm" in job.error
    assert job.message == "Failed; nothing was written."
    assert job.finished_at is not None
    after = row_counts()
    assert after == before  # the good first file is not imported either
    assert documents_of(project) == ["small.conll"]


def test_an_import_job_whose_file_is_gone_fails_with_a_reason(project, member, tmp_path):
    job = jobs.start_job(
        kind="import",
        user=member,
        project=project,
        params={"paths": [str(tmp_path / "missing.conll")], "names": ["missing.conll"]},
    )
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "gone" in job.error
    assert documents_of(project) == ["small.conll"]


def test_running_a_finished_job_again_does_nothing(project, member, tmp_path):
    job = import_job(project, member, tmp_path, SMALL)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    counts = row_counts()
    finished_at = job.finished_at
    jobs.run_job(job.pk)  # a redelivered message
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert row_counts() == counts
    assert documents_of(project) == ["small.conll", "small.conll"]
    assert TagLayer.objects.filter(document__project=project).count() == 2
    assert job.state == Job.State.DONE
    assert job.attempts == 1
    assert job.finished_at == finished_at


def test_running_a_failed_or_cancelled_job_again_does_nothing(project, member, tmp_path):
    failed = import_job(project, member, tmp_path, BROKEN)
    jobs.run_job(failed.pk)
    cancelled = Job.objects.create(kind="import", project=project, user=member, params={})
    jobs.cancel_job(cancelled)
    counts = row_counts()
    for job in (failed, cancelled):
        jobs.run_job(job.pk)
    assert row_counts() == counts
    assert Job.objects.get(pk=failed.pk).state == Job.State.FAILED
    assert Job.objects.get(pk=cancelled.pk).state == Job.State.CANCELLED


def test_a_job_left_running_by_a_dead_worker_runs_again_once(project, member, tmp_path):
    """What a redelivery after a crash finds: the row says running, nothing was written."""
    job = import_job(project, member, tmp_path, SMALL)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, attempts=1, started_at=timezone.now()
    )
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert job.attempts == 2
    assert documents_of(project) == ["small.conll", "small.conll"]
    jobs.run_job(job.pk)
    assert documents_of(project) == ["small.conll", "small.conll"]


def test_a_cancel_flag_left_by_an_earlier_database_does_not_cancel_a_new_job(
    project, member, tmp_path
):
    """Job ids start again in a new database while the cache keeps the old jobs' keys."""
    job = import_job(project, member, tmp_path, SMALL)
    cache.set(jobs._cancel_key(job.pk), True, 3600)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message


def test_run_job_of_a_deleted_job_does_nothing():
    jobs.run_job(987654)
    assert not Job.objects.exists()


# Cancel ----------------------------------------------------------------------------------------


def test_cancelling_a_queued_job_finishes_it_and_the_worker_then_skips_it(
    project, member, tmp_path
):
    job = import_job(project, member, tmp_path, SMALL)
    jobs.cancel_job(job)
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert job.finished_at is not None
    assert job.message == "Cancelled before it started."
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert job.attempts == 0
    assert documents_of(project) == ["small.conll"]


def test_a_cancel_request_for_a_running_job_is_recorded_and_flagged(project, member):
    job = Job.objects.create(kind="import", project=project, user=member, state=Job.State.RUNNING)
    jobs.cancel_job(job)
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING
    assert job.cancel_requested
    assert cache.get(jobs._cancel_key(job.pk))


def test_a_requested_cancel_found_at_start_ends_the_job_cancelled(project, member, tmp_path):
    """A cancel recorded while the job was running, then redelivered: it does not run again."""
    job = import_job(project, member, tmp_path, SMALL)
    Job.objects.filter(pk=job.pk).update(cancel_requested=True, state=Job.State.RUNNING)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert documents_of(project) == ["small.conll"]


def test_a_cancel_during_the_run_ends_cancelled_with_nothing_written(
    project, member, tmp_path, monkeypatch
):
    big = write_conll(tmp_path / "big.conll", tokens=50_000)
    job = import_job(project, member, tmp_path, big)
    before = row_counts()
    importing = registry.get("import").run

    def cancelled_once_running(running, progress):
        # What the page's Cancel does while the job runs; the runner sees it at its next report.
        jobs.cancel_job(running)
        importing(running, progress)

    cancelling = JobKind(name="import", run=cancelled_once_running)
    monkeypatch.setitem(registry.KINDS, "import", cancelling)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    assert job.message == "Cancelled; nothing was written."
    assert job.finished_at is not None
    assert row_counts() == before
    assert documents_of(project) == ["small.conll"]


def test_progress_lands_in_the_cache_and_shows_on_a_running_job(project, member):
    job = Job.objects.create(kind="import", project=project, user=member, state=Job.State.RUNNING)
    progress = jobs.Progress(job.pk)
    progress.interval = 3600  # "a short time", however slow this machine is today
    progress(30, 120, "Reading and writing")
    shown = jobs.live(Job.objects.get(pk=job.pk))
    assert (shown.done, shown.total, shown.message) == (30, 120, "Reading and writing")
    assert shown.percent == 25
    # Progress reports come often: within a short time only the final one is written.
    progress(60, 120, "later")
    assert jobs.live(Job.objects.get(pk=job.pk)).done == 30
    progress(120, 120, "last")
    assert jobs.live(Job.objects.get(pk=job.pk)).done == 120


# Gazetteer jobs --------------------------------------------------------------------------------


@pytest.fixture
def two_documents(project, tmp_path):
    """The project's small.conll plus a second document with untagged known phrases."""
    second = tmp_path / "second.conll"
    second.write_text(
        "Alan\tO\nTuring\tO\nused\tO\nTorch\tO\non\tO\nGPUs\tO\nin\tO\nNew York\tO\n.\tO\n"
    )
    import_files(project.name, second)
    return list(project.documents.order_by("position"))


def tags_of(layer: TagLayer) -> list[list[str]]:
    rows = SentenceTags.objects.filter(layer=layer).order_by("sentence__position")
    return list(rows.values_list("tags", flat=True))


def suggestion_layers(project) -> list[TagLayer]:
    return list(
        TagLayer.objects.filter(
            document__project=project, name__startswith="suggestions: gazetteer"
        ).order_by("document__position")
    )


def test_a_gazetteer_job_writes_one_suggestions_layer_per_document_from_gold(
    project, member, two_documents
):
    first, second = two_documents
    gold = editing.ensure_working_layer(first)
    torch = first.sentences.get(position=2)
    row = SentenceTags.objects.get(layer=gold, sentence=torch)
    editing.replace_tags(
        user=member,
        layer=gold,
        sentence_id=torch.pk,
        version=row.version,
        tags=["B-Device", "O", "O", "B-Device", "O"],
        action="test",
    )
    job = jobs.start_job(kind="gazetteer", user=member, project=project, params={})
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    layers = suggestion_layers(project)
    assert [layer.document_id for layer in layers] == [first.pk, second.pk]
    assert {layer.name for layer in layers} == {job.result["layer"]}
    assert f"(job {job.pk})" in job.result["layer"]
    assert job.result["documents"] == 2
    assert all(layer.kind == TagLayer.Kind.MODEL for layer in layers)
    for layer in layers:
        assert SentenceTags.objects.filter(layer=layer).count() == layer.document.sentence_count
    # The second document had no tags: it gets the confirmed spans of the gold layer,
    # including the gold edit (Torch is a Device), with valid IOB2 prefixes.
    assert tags_of(layers[1]) == [
        ["B-PER", "I-PER", "O", "B-Device", "O", "B-Device", "O", "B-LOC", "O"]
    ]
    assert tags_of(layers[0])[2] == ["B-Device", "O", "O", "B-Device", "O"]
    assert tags_of(layers[0])[0] == ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
    # The source layers are untouched.
    assert tags_of(gold)[2] == ["B-Device", "O", "O", "B-Device", "O"]
    assert tags_of(first.layers.get(name=IMPORTED))[2] == ["O", "O", "O", "I-Device", "O"]
    # Run again (a redelivery): still one suggestions layer per document.
    jobs.run_job(job.pk)
    assert len(suggestion_layers(project)) == 2


def test_a_gazetteer_job_can_learn_from_a_named_layer(project, member, two_documents):
    job = jobs.start_job(
        kind="gazetteer", user=member, project=project, params={"source": IMPORTED}
    )
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    second = suggestion_layers(project)[1]
    # Imported small.conll tags GPUs (I-Device, read leniently) but not Torch.
    assert tags_of(second) == [["B-PER", "I-PER", "O", "O", "O", "B-Device", "O", "B-LOC", "O"]]


def test_a_gazetteer_job_limited_to_some_documents_writes_only_theirs(
    project, member, two_documents
):
    first, second = two_documents
    editing.ensure_working_layer(first)
    job = jobs.start_job(
        kind="gazetteer", user=member, project=project, params={"documents": [second.pk]}
    )
    jobs.run_job(job.pk)
    assert [layer.document_id for layer in suggestion_layers(project)] == [second.pk]


def test_a_gazetteer_job_without_confirmed_spans_fails_and_writes_nothing(project, member):
    job = jobs.start_job(kind="gazetteer", user=member, project=project, params={})
    before = row_counts()
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "no confirmed spans in the gold layers" in job.error
    assert row_counts() == before
    assert suggestion_layers(project) == []


def test_the_preannotate_form_starts_a_gazetteer_job(member_client, project, queued):
    response = member_client.post(
        reverse("annotator-preannotate", args=[project.pk]), {"source": "gold", "case": "1"}
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.kind == "gazetteer"
    assert job.params == {"source": "gold", "case": True, "documents": []}
    assert job.state == Job.State.QUEUED


# Pages -----------------------------------------------------------------------------------------


def test_the_jobs_page_says_a_queued_job_waits_when_no_worker_is_running(
    member_client, project, member
):
    Job.objects.create(kind="import", project=project, user=member, sent_at=timezone.now())
    WorkerHeartbeat.objects.create(hostname="old", seen_at=timezone.now() - timedelta(seconds=300))
    assert not jobs.workers_alive()
    page = member_client.get(jobs_page(project)).content.decode()
    assert WAITING in page
    assert "No worker is running" in page


def test_the_jobs_page_does_not_say_waiting_while_a_worker_beats(member_client, project, member):
    Job.objects.create(kind="import", project=project, user=member, sent_at=timezone.now())
    jobs.beat("celery@test")
    assert jobs.workers_alive()
    response = member_client.get(jobs_page(project))
    assert response.status_code == 200
    page = response.content.decode()
    assert "import" in page
    assert WAITING not in page
    assert "No worker is running" not in page


def test_a_running_job_is_not_said_to_be_waiting(member_client, project, member):
    job = Job.objects.create(kind="import", project=project, user=member, state="running")
    page = member_client.get(job_url(job)).content.decode()
    assert WAITING not in page


def test_the_progress_endpoint_stops_htmx_polling_only_for_a_finished_job(
    member_client, project, member
):
    job = Job.objects.create(kind="import", project=project, user=member)
    htmx = {"HTTP_HX_REQUEST": "true"}
    assert member_client.get(job_url(job), **htmx).status_code == 200
    assert member_client.get(job_url(job)).status_code == 200
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    assert member_client.get(job_url(job), **htmx).status_code == 200
    for state in Job.FINISHED:
        Job.objects.filter(pk=job.pk).update(state=state)
        assert member_client.get(job_url(job), **htmx).status_code == 286, state
        assert member_client.get(job_url(job)).status_code == 200, state


def test_a_running_jobs_progress_fragment_polls_and_shows_live_progress(
    member_client, project, member
):
    job = Job.objects.create(kind="import", project=project, user=member, state="running")
    jobs.Progress(job.pk)(5, 20, "Reading and writing")
    response = member_client.get(job_url(job), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "25%" in page
    assert "Reading and writing" in page
    finished = Job.objects.create(
        kind="import", project=project, user=member, state="failed", error="x.conll, line 3: bad"
    )
    page = member_client.get(job_url(finished), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in page
    assert "x.conll, line 3: bad" in page


def test_cancel_from_the_page_cancels_a_queued_job(member_client, project, member):
    job = Job.objects.create(kind="import", project=project, user=member)
    response = member_client.post(job_url(job, "annotator-job-cancel"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Cancelled before it started." in response.content.decode()
    assert Job.objects.get(pk=job.pk).state == Job.State.CANCELLED


def test_other_projects_users_get_404_for_job_pages_and_cancel(outsider_client, project, member):
    job = Job.objects.create(kind="import", project=project, user=member)
    assert outsider_client.get(jobs_page(project)).status_code == 404
    assert outsider_client.get(job_url(job)).status_code == 404
    assert outsider_client.get(job_url(job), HTTP_HX_REQUEST="true").status_code == 404
    assert outsider_client.post(job_url(job, "annotator-job-cancel")).status_code == 404
    preannotate = reverse("annotator-preannotate", args=[project.pk])
    assert outsider_client.post(preannotate).status_code == 404
    assert Job.objects.get(pk=job.pk).state == Job.State.QUEUED
    assert Job.objects.count() == 1
    assert outsider_client.get(job_url(job, "annotator-job-cancel")).status_code == 405


def test_a_member_of_another_project_gets_404_for_this_projects_jobs(
    outsider, outsider_client, project, member, tmp_path
):
    other = import_files("Other corpus", SMALL).project
    Membership.objects.create(project=other, user=outsider, role=Membership.Role.MANAGER)
    job = Job.objects.create(kind="import", project=project, user=member)
    assert outsider_client.get(jobs_page(other)).status_code == 200
    assert outsider_client.get(job_url(job)).status_code == 404
    assert outsider_client.post(job_url(job, "annotator-job-cancel")).status_code == 404
    assert Job.objects.get(pk=job.pk).state == Job.State.QUEUED


def test_an_anonymous_visitor_is_sent_to_log_in(client, project, member):
    job = Job.objects.create(kind="import", project=project, user=member)
    for response in (
        client.get(jobs_page(project)),
        client.get(job_url(job)),
        client.post(job_url(job, "annotator-job-cancel")),
    ):
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    assert Job.objects.get(pk=job.pk).state == Job.State.QUEUED


def test_an_annotator_sees_their_own_job_but_not_others(project, member, django_user_model):
    from django.test import Client

    annotator = django_user_model.objects.create_user("ann", password="annotator-pass-1")
    Membership.objects.create(project=project, user=annotator, role=Membership.Role.ANNOTATOR)
    client = Client()
    client.force_login(annotator)
    own = Job.objects.create(kind="import", project=project, user=annotator)
    others = Job.objects.create(kind="import", project=project, user=member)
    assert client.get(job_url(own)).status_code == 200
    assert client.get(job_url(others)).status_code == 404
    assert client.post(job_url(others, "annotator-job-cancel")).status_code == 404
    assert Job.objects.get(pk=others.pk).state == Job.State.QUEUED


# Large uploads become import jobs --------------------------------------------------------------


def test_an_upload_above_the_threshold_creates_an_import_job_instead_of_importing(
    member_client, member, project, settings, tmp_path, queued, django_capture_on_commit_callbacks
):
    settings.IMPORT_JOB_THRESHOLD = 50
    data = write_conll(tmp_path / "large.conll", tokens=100).read_bytes()
    assert len(data) > settings.IMPORT_JOB_THRESHOLD
    before = Sentence.objects.count()
    upload = SimpleUploadedFile("large.conll", data, content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("annotator-project-upload", args=[project.pk]),
            {"files": [upload], "scheme": "auto", "encoding": "", "tag_column": ""},
        )
    assert response.status_code == 200
    job = Job.objects.get()
    assert (job.kind, job.state, job.project_id, job.user_id) == (
        "import",
        Job.State.QUEUED,
        project.pk,
        member.pk,
    )
    assert queued == [job.pk]
    # Nothing imported in the request; the upload waits under MEDIA_ROOT.
    assert Sentence.objects.count() == before
    assert documents_of(project) == ["small.conll"]
    assert job.params["names"] == ["large.conll"]
    saved = Path(job.params["paths"][0])
    assert saved.is_relative_to(Path(settings.MEDIA_ROOT))
    assert saved.read_bytes() == data
    # The worker's turn.
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.error
    assert job.result["tokens"] == 100
    assert documents_of(project) == ["small.conll", "large.conll"]
    assert not saved.exists()


def test_an_upload_at_or_below_the_threshold_is_imported_in_the_request(
    member_client, project, settings, queued
):
    data = b"Ada\tB-PER\nLovelace\tI-PER\n"
    settings.IMPORT_JOB_THRESHOLD = len(data)
    upload = SimpleUploadedFile("exact.conll", data, content_type="text/plain")
    response = member_client.post(
        reverse("annotator-project-upload", args=[project.pk]),
        {"files": [upload], "scheme": "auto", "encoding": "", "tag_column": ""},
    )
    assert response.status_code == 200
    assert not Job.objects.exists()
    assert queued == []
    assert documents_of(project) == ["small.conll", "exact.conll"]


def test_several_uploads_that_together_pass_the_threshold_become_one_job(
    member_client, project, settings, queued
):
    settings.IMPORT_JOB_THRESHOLD = 30
    files = [SimpleUploadedFile(f"part{n}.conll", b"Ada\tB-PER\nLovelace\tI-PER\n") for n in (1, 2)]
    response = member_client.post(
        reverse("annotator-project-upload", args=[project.pk]),
        {"files": files, "scheme": "auto", "encoding": "", "tag_column": ""},
    )
    assert response.status_code == 200
    job = Job.objects.get()
    assert job.params["names"] == ["part1.conll", "part2.conll"]
    jobs.run_job(job.pk)
    assert documents_of(project) == ["small.conll", "part1.conll", "part2.conll"]


def upload_page(client, project, name: str, data: bytes):
    upload = SimpleUploadedFile(name, data, content_type="text/plain")
    return client.post(
        reverse("annotator-project-upload", args=[project.pk]),
        {"files": [upload], "scheme": "auto", "encoding": "", "tag_column": ""},
    )


def test_thirty_thousand_tiny_documents_under_a_megabyte_become_an_import_job(
    member_client, project, settings, queued
):
    """The upload that timed out in the request: 0.9 MB, far under the byte threshold, but
    30,000 documents of rows to write."""
    data = ("-DOCSTART- O\n\nAda\tB-PER\n\n" * 30_000).encode()
    assert len(data) < 1_000_000 < settings.IMPORT_JOB_THRESHOLD
    response = upload_page(member_client, project, "tiny.conll", data)
    assert response.status_code == 200
    job = Job.objects.get()
    assert (job.kind, job.params["names"]) == ("import", ["tiny.conll"])
    assert documents_of(project) == ["small.conll"]  # nothing imported in the request


def test_an_upload_of_many_sentences_becomes_an_import_job(
    member_client, project, settings, queued
):
    settings.IMPORT_JOB_SENTENCES = 1_000
    data = ("Ada\tB-PER\n\n" * 1_001).encode()
    assert upload_page(member_client, project, "many.conll", data).status_code == 200
    assert Job.objects.get().kind == "import"
    assert documents_of(project) == ["small.conll"]


def test_an_upload_at_both_counts_is_imported_in_the_request(
    member_client, project, settings, queued
):
    settings.IMPORT_JOB_SENTENCES = 4
    settings.IMPORT_JOB_DOCUMENTS = 2
    data = b"-DOCSTART- O\n\nAda\tB-PER\n\nwrote\tO\n\n-DOCSTART- O\n\nit\tO\n\nx\tO\n"
    assert upload_page(member_client, project, "edge.conll", data).status_code == 200
    assert not Job.objects.exists()
    assert len(documents_of(project)) == 3


def test_an_attempt_superseded_by_a_redelivery_writes_nothing(project, member):
    """Two deliveries of one job: the older attempt's output rolls back, the newer one's stays."""
    job = Job.objects.create(
        kind="import", project=project, user=member, attempts=1, state=Job.State.RUNNING
    )
    Job.objects.filter(pk=job.pk).update(attempts=2)  # a redelivery started meanwhile
    before = Document.objects.count()
    with pytest.raises(jobs.Superseded), transaction.atomic():
        Document.objects.create(project=project, position=99, name="x", source_name="x")
        jobs.complete(job, {"documents": 1})
    assert Document.objects.count() == before
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING and job.attempts == 2
