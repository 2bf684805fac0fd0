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
from annotator.services.corpus import export_document
from annotator.services.jobs import JobFailed, complete, runner, start_job

KIND = "export"
ATTEMPT = re.compile(r"job-(\d+)-(\d+)\.(part|conll)")


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def too_large_for_a_request(documents: int, tokens: int) -> bool:
    return documents > settings.EXPORT_JOB_DOCUMENTS or tokens > settings.EXPORT_JOB_TOKENS


def project_size(project: Project) -> tuple[int, int]:
    """The project's documents and tokens."""
    sizes = project.documents.aggregate(documents=Count("pk"), tokens=Sum("token_count"))
    return sizes["documents"], sizes["tokens"] or 0


def start_export_job(*, user, project: Project, layer_name: str | None, scheme_name: str) -> Job:
    params = {"layer": layer_name, "scheme": scheme_name}
    return start_job(kind=KIND, user=user, project=project, params=params)


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
        content_type="application/octet-stream",
    )
    digest = base64.b64encode(bytes.fromhex(job.result["sha256"])).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    return response


@runner(KIND)
def run_export(job: Job, progress) -> None:
    layer, scheme_name = job.params.get("layer"), job.params.get("scheme") or "keep"
    documents = list(job.project.documents.order_by("position"))
    if layer and any(not d.layers.filter(name=layer).exists() for d in documents):
        raise JobFailed(f"not every document has a layer named {layer!r}")
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"job-{job.pk}-{job.attempts}.part"
    final = part.with_suffix(".conll")
    try:
        size, digest = _write(part, documents, layer, scheme_name, progress)
        part.replace(final)
        with transaction.atomic():
            complete(
                job,
                {
                    "file": final.name,
                    "filename": export_name(job.project.name),
                    "bytes": size,
                    "sha256": digest,
                    "documents": len(documents),
                },
                message=f"Exported {len(documents):,} documents ({size:,} bytes): download below.",
            )
    except Exception:  # failed, cancelled or Superseded: this attempt leaves no file
        part.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise


def _write(path: Path, documents, layer, scheme_name: str, progress) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        for number, document in enumerate(documents, 1):
            for chunk in export_document(document, layer_name=layer, scheme_name=scheme_name):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            progress(number, len(documents), f"Writing {document.name}")
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
