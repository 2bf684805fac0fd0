"""Run a job in this process, as a worker would, for the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from annotator.models import Job, Project
from annotator.services import jobs


def project_named(name: str) -> Project:
    project = Project.objects.filter(name=name).first()
    if project is None:
        raise CommandError(f"no project named {name!r}")
    return project


def run_here(kind: str, project: Project, params: dict) -> Job:
    job = Job.objects.create(kind=kind, project=project, params=params)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    if job.state != Job.State.DONE:
        raise CommandError(f"{kind} failed: {job.error or job.message}")
    return job
