"""Run a job in this process, as a worker would, for the command line."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Q

from annotator import params
from annotator.jobs import registry
from annotator.models import Job, Project
from annotator.services import jobs


def project_named(name: str) -> Project:
    project = Project.objects.filter(name=name).first()
    if project is None:
        raise CommandError(f"no project named {name!r}")
    return project


def documents_named(project: Project, names: list[str]) -> list[tuple[int, str]]:
    """(id, name) of the documents called `names`, in import order. A file's name also stands
    for every document imported from it: a CoNLL file with -DOCSTART- lines becomes one
    document per part ("train.txt", "train.txt #2", ...), and its user knows the file."""
    found = list(
        project.documents.filter(Q(name__in=names) | Q(source_name__in=names))
        .order_by("position")
        .values_list("pk", "name", "source_name")
    )
    known = {name for _, *both in found for name in both}
    missing = sorted(set(names) - known)
    if missing:
        raise CommandError(
            f"no document named, or imported from a file named, {', '.join(map(repr, missing))}"
        )
    return [(pk, name) for pk, name, _ in found]


def document_ids(project: Project, names: list[str] | None) -> list[int]:
    """The ids of the named documents (none named: [], all of them)."""
    if not names:
        return []
    return [pk for pk, _ in documents_named(project, names)]


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
