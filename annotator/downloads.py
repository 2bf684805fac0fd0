"""File downloads: one name and one response shape for the pages and the API."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import StreamingHttpResponse

SUFFIXES = (".conll", ".txt", ".tsv", ".iob", ".bio")


def export_name(name: str, extension: str = ".conll") -> str:
    """A safe file name for a document or project: for CoNLL its own suffix, else .conll; for
    another format, the name without its suffix and the format's first extension."""
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.split(" #")[0])
    if extension != ".conll":
        return stem.rsplit(".", 1)[0] + extension if "." in stem[1:] else stem + extension
    return stem if stem.endswith(SUFFIXES) else stem + ".conll"


def download(chunks: Iterable, filename: str, content_type: str) -> StreamingHttpResponse:
    """Stream `chunks` as an attachment named `filename`."""
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
