"""File downloads: one name and one response shape for the pages and the API."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

from django.http import FileResponse

SUFFIXES = (".conll", ".txt", ".tsv", ".iob", ".bio")


def export_name(name: str, extension: str = ".conll") -> str:
    """A safe file name for a document or project: for CoNLL its own suffix, else .conll; for
    another format, the name without its suffix and the format's first extension."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.split(" #")[0])
    if extension != ".conll":
        return stem.rsplit(".", 1)[0] + extension if "." in stem[1:] else stem + extension
    return stem if stem.endswith(SUFFIXES) else stem + ".conll"


SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bytes; larger files are built in a temporary file


def download(chunks: Iterable[bytes], filename: str, content_type: str) -> FileResponse:
    """`chunks` as an attachment named `filename`, built whole before the first byte is sent.

    So a failure while building is an error page, never a file that ends early, and the
    response carries its Content-Length: a transfer cut short (a proxy or server timeout) is an
    incomplete download to the browser or curl, not a plausible-looking file. What could take
    longer than a request may (a large project) is an export job (services/exports.py).
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - sent, then closed
    for chunk in chunks:
        spool.write(chunk)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=content_type)
