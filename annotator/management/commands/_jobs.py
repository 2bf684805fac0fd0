"""Run a job in this process, as a worker would, for the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from annotator import params
from annotator.jobs import registry
from annotator.models import Job, Project
from annotator.services import jobs


def project_named(name: str) -> Project:
    project = Project.objects.filter(name=name).first()
    if project is None:
        raise CommandError(f"no project named {name!r}")
    return project


def document_ids(project: Project, names: list[str] | None) -> list[int]:
    """The ids of the named documents (none named: [], all of them)."""
    if not names:
        return []
    ids = list(project.documents.filter(name__in=names).values_list("pk", flat=True))
    if len(ids) != len(set(names)):
        raise CommandError("some of those documents are not in the project")
    return ids


def run_here(kind: str, project: Project, data: dict) -> Job:
    """Run a job of `kind` with its parameters read by the kind's form, as the page and the
    API read them (annotator/jobs/)."""
    try:
        checked = params.parse(registry.get(kind).params, data, project=project)
    except params.BadParams as error:
        raise CommandError(str(error)) from error
    job = Job.objects.create(kind=kind, project=project, params=checked)
    jobs.run_job(job.pk)
    job.refresh_from_db()
    if job.state != Job.State.DONE:
        raise CommandError(f"{kind} failed: {job.error or job.message}")
    return job
