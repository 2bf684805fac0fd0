"""Project downloads that cannot be cut short silently.

Built in the request, a large project's download was cut at gunicorn's timeout (an
18,018-document project stopped after 2,625 documents), and as a stream without a length the
cut file looked whole. Now:

- a small project is built whole before its first byte is sent, then sent with its length
  (downloads.download): a failure is an error page, and a transfer cut short is visibly
  incomplete to the browser or curl;
- a project above EXPORT_JOB_DOCUMENTS documents or EXPORT_JOB_TOKENS tokens is written by an
  export job to MEDIA_ROOT/exports (under a temporary name until complete), and downloaded when
  the job is done, with its length and its SHA-256 (on the jobs page and in a Repr-Digest
  header) so that a user can check what arrived. Files go after EXPORT_KEEP_HOURS.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.http import FileResponse

from annotator.downloads import export_name
from annotator.models import Job, Project
from annotator.nlp.formats import registry
from annotator.services.corpus import export_project
from annotator.services.jobs import JobFailed, complete, start_job

KIND = "export"
ATTEMPT = re.compile(r"job-(\d+)-(\d+)\.(part|file)")


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def too_large_for_a_request(documents: int, tokens: int) -> bool:
    return documents > settings.EXPORT_JOB_DOCUMENTS or tokens > settings.EXPORT_JOB_TOKENS


def project_size(project: Project) -> tuple[int, int]:
    """The project's documents and tokens."""
    sizes = project.documents.aggregate(documents=Count("pk"), tokens=Sum("token_count"))
    return sizes["documents"], sizes["tokens"] or 0


def start_export_job(
    *,
    user,
    project: Project,
    layer_name: str | None,
    scheme_name: str,
    format_name: str = "conll",
) -> Job:
    params = {"layer": layer_name, "scheme": scheme_name, "format": format_name}
    return start_job(kind=KIND, user=user, project=project, params=params)


def file_name_and_type(project: Project, format_name: str) -> tuple[str, str]:
    """The download's file name and media type (CoNLL: documents may differ in encoding, so
    no one charset names the whole file)."""
    file_format = registry.get(format_name)
    name = export_name(project.name, file_format.extensions[0])
    if file_format.name == "conll":
        return name, "application/octet-stream"
    return name, file_format.media_type


def file_of(job: Job) -> Path | None:
    """The finished export's file, while it is kept."""
    name = (job.result or {}).get("file")
    if job.kind != KIND or job.state != Job.State.DONE or not name:
        return None
    path = root() / name
    return path if path.is_file() else None


def file_response(job: Job, path: Path) -> FileResponse:
    """The file with its length, and its SHA-256 as a Repr-Digest (RFC 9530) to check against."""
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=job.result["filename"],
        content_type=job.result.get("media_type") or "application/octet-stream",
    )
    digest = base64.b64encode(bytes.fromhex(job.result["sha256"])).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    return response


def run_export(job: Job, progress) -> None:
    layer, scheme_name = job.params.get("layer"), job.params.get("scheme") or "keep"
    format_name = job.params.get("format") or "conll"
    project = job.project
    if layer and project.documents.exclude(layers__name=layer).exists():
        raise JobFailed(f"not every document has a layer named {layer!r}")
    documents, _ = project_size(project)
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"job-{job.pk}-{job.attempts}.part"
    final = part.with_suffix(".file")
    filename, media_type = file_name_and_type(project, format_name)
    try:
        done = 0

        def on_document(document) -> None:
            nonlocal done
            progress(done, documents, f"Writing {document.name}")
            done += 1

        chunks = export_project(
            project,
            layer_name=layer,
            scheme_name=scheme_name,
            format_name=format_name,
            on_document=on_document,
        )
        size, digest = _write(part, chunks)
        part.replace(final)
        with transaction.atomic():
            complete(
                job,
                {
                    "file": final.name,
                    "filename": filename,
                    "media_type": media_type,
                    "format": format_name,
                    "bytes": size,
                    "sha256": digest,
                    "documents": documents,
                },
                message=f"Exported {documents:,} documents ({size:,} bytes): download below.",
            )
    except Exception:  # failed, cancelled or Superseded: this attempt leaves no file
        part.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise


def _write(path: Path, chunks) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def sweep() -> list[str]:
    """Remove exports older than EXPORT_KEEP_HOURS, and parts of attempts that are over."""
    folder = root()
    if not folder.is_dir():
        return []
    entries = list(folder.iterdir())
    running = set(Job.objects.filter(state=Job.State.RUNNING).values_list("pk", "attempts"))
    oldest = time.time() - settings.EXPORT_KEEP_HOURS * 3600
    removed = []
    for entry in entries:
        attempt = ATTEMPT.fullmatch(entry.name)
        if attempt and entry.suffix == ".part":
            if (int(attempt[1]), int(attempt[2])) in running:
                continue
        elif entry.stat().st_mtime > oldest:
            continue
        entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed
