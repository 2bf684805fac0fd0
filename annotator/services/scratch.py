"""Scratch folders of job attempts under MODEL_ROOT/scratch, and the sweep of leftovers.

A job that writes files (CRF training, the likely-errors folds) works in
MODEL_ROOT/scratch/job-<id>-<attempt>/ and removes it when it ends, whatever the outcome. A worker
killed mid-job (SIGKILL, the OOM killer) cannot: the sweep, run by every worker as it starts and
then every minute, removes each folder whose attempt is no longer running.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from annotator.models import Job

log = logging.getLogger(__name__)
ATTEMPT_FOLDER = re.compile(r"job-(\d+)-(\d+)")
# Folders of another shape (older releases used tempfile's names): removed once this old, so
# that a run of an older worker during a rolling upgrade keeps its files.
FOREIGN_AFTER = 6 * 3600  # seconds


def root() -> Path:
    return Path(settings.MODEL_ROOT) / "scratch"


@contextmanager
def scratch_folder(job: Job) -> Iterator[Path]:
    """A fresh folder for this attempt of the job, removed when the block ends. The folders of
    the job's earlier attempts (killed workers') go now: this attempt supersedes them."""
    folder = root() / f"job-{job.pk}-{job.attempts}"
    for earlier in root().glob(f"job-{job.pk}-*"):
        shutil.rmtree(earlier, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep() -> list[str]:
    """Remove the scratch folders of attempts that are over; the names removed."""
    scratch = root()
    if not scratch.is_dir():
        return _sweep_older_releases()
    # List first, then ask which attempts run: a folder listed exists only after its attempt
    # was recorded as running, so it cannot be taken for a leftover.
    entries = list(scratch.iterdir())
    running = set(Job.objects.filter(state=Job.State.RUNNING).values_list("pk", "attempts"))
    removed = []
    for entry in entries:
        match = ATTEMPT_FOLDER.fullmatch(entry.name)
        if match and (int(match[1]), int(match[2])) in running:
            continue
        if not match and time.time() - entry.stat().st_mtime < FOREIGN_AFTER:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    removed += _sweep_older_releases()
    if removed:
        log.info("removed scratch folders of attempts that are over: %s", removed)
    return removed


def _sweep_older_releases() -> list[str]:
    """Older releases trained in MODEL_ROOT/project-<id>/tmp<random>/: remove those left by
    killed attempts once they are FOREIGN_AFTER old."""
    oldest = time.time() - FOREIGN_AFTER
    removed = []
    for folder in Path(settings.MODEL_ROOT).glob("project-*/tmp*"):
        if folder.is_dir() and folder.stat().st_mtime < oldest:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"{folder.parent.name}/{folder.name}")
    return removed
