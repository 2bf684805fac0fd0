"""Importing and exporting corpus files, in any format of `annotator.nlp.formats.registry`."""

from __future__ import annotations

import shutil
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max

from annotator import bulk
from annotator.models import (
    GOLD,
    IMPORTED,
    Document,
    Job,
    Project,
    Sentence,
    SentenceTags,
    TagLayer,
    TokenIndex,
)
from annotator.nlp import conll, scheme, sizing
from annotator.nlp.formats import base as formats
from annotator.nlp.formats import registry
from annotator.search import index_key
from annotator.services.jobs import Cancelled, JobFailed, complete, start_job
from annotator.services.labels import (
    LabelError,
    NewLabels,
    UnknownLabels,
    pin_colours,
    policy_from_dict,
    policy_to_dict,
)

BATCH = 2000
MAX_WARNINGS = 200
SENTENCE_FIELDS = [
    "id",
    "document",
    "position",
    "tokens",
    "extras",
    "before",
    "formats",
    "line",
    "source",
]
TAG_FIELDS = ["layer", "sentence", "tags", "invalid", "version", "reviewed"]


@dataclass
class ImportSummary:
    project: Project | None = None
    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    labels: set[str] = field(default_factory=set)
    new_labels: list[str] = field(default_factory=list)
    schemes: dict[str, str] = field(default_factory=dict)  # file name -> detected scheme
    formats: dict[str, str] = field(default_factory=dict)  # file name -> format read
    layers: list[str] = field(default_factory=list)  # annotators' layers the files created
    warnings: list[conll.Problem] = field(default_factory=list)
    warning_count: int = 0


@transaction.atomic
def import_corpus(
    *,
    project_name: str,
    files: Iterable[tuple[str, BinaryIO]],
    format_name: str = registry.AUTO,
    scheme_name: str = "auto",
    encoding: str | None = None,
    tag_column: int | None = None,
    labels: list[str] | None = None,
    new_labels: NewLabels | None = None,
) -> ImportSummary:
    """Import files of one format (or each of its detected format) into a project (created if
    missing), all or nothing.

    Raises conll.ConllError naming file, line and problem, or labels.UnknownLabels when the
    files have labels the project lacks and `new_labels` does not say to add or map them
    (by default only a project without labels takes a file's labels); the transaction then
    writes nothing.
    """
    project, _ = Project.objects.select_for_update().get_or_create(name=project_name)
    summary = ImportSummary(project=project)
    known = list(project.labels)
    policy = new_labels or NewLabels()
    policy.check(known)
    options = formats.ReadOptions(encoding=encoding, tag_column=tag_column, labels=labels)
    for name, stream in files:
        _import_file(project, name, stream, summary, scheme_name, format_name, options, policy)
    if project.documents.count() == summary.documents and summary.schemes:
        project.scheme = next(iter(summary.schemes.values()))
    project.labels = policy.settle(known, summary.labels)
    summary.new_labels = project.labels[len(known) :]
    pin_colours(project)
    project.save(update_fields=["labels", "label_colours", "scheme"])
    return summary


def import_conll(
    *,
    project_name: str,
    files: Iterable[tuple[str, BinaryIO]],
    scheme_name: str = "auto",
    encoding: str | None = None,
    tag_column: int | None = None,
    new_labels: NewLabels | None = None,
) -> ImportSummary:
    """import_corpus for CoNLL files."""
    return import_corpus(
        project_name=project_name,
        files=files,
        format_name="conll",
        scheme_name=scheme_name,
        encoding=encoding,
        tag_column=tag_column,
        new_labels=new_labels,
    )


def _import_file(
    project: Project,
    name: str,
    stream: BinaryIO,
    summary: ImportSummary,
    scheme_name: str,
    format_name: str,
    options: formats.ReadOptions,
    policy: NewLabels,
) -> None:
    if format_name == registry.AUTO:
        head = stream.read(registry.HEAD_SIZE)
        file_format = registry.detect(name, head)
        stream = formats.Rewound(head, stream)
    else:
        file_format = registry.get(format_name)
    detector = scheme.SchemeDetector()
    writer = _DocumentWriter(project, summary, file_format.name)
    fixed = None if scheme_name == "auto" else scheme_name
    # The detector's answer changes only when it is fed, and it is fed only until settled: both
    # are kept here rather than asked of it for every sentence.
    current, learning = fixed or detector.result(), fixed is None
    sentence_type, mapping = conll.Sentence, bool(policy.mapping)
    for event in file_format.read(stream, name, options):
        if isinstance(event, sentence_type):
            if learning and event.tags.count("O") != len(event.tags):
                detector.feed(event.tags)
                current, learning = detector.result(), not detector.settled
            if mapping:
                _map_labels(event, policy, current)
            writer.add(event, current)
        elif isinstance(event, conll.DocumentStart):
            writer.start(event)
        elif isinstance(event, conll.Problem):
            summary.warning_count += 1
            if len(summary.warnings) < MAX_WARNINGS:
                summary.warnings.append(event)
        else:
            writer.finish(event.trailer)
    detector.note_tags(writer.tags_seen)
    final = fixed or detector.result()
    summary.labels.update(scheme.labels(writer.tags_seen))
    summary.schemes[name] = final
    summary.formats[name] = file_format.name
    writer.settle_scheme(final)
    writer.settle_layers()


def _map_labels(sentence: conll.Sentence, policy: NewLabels, scheme_name: str) -> None:
    """The upload's label mapping, on the sentence's tags and its annotators' layers."""
    sentence.tags = policy.map_tags(sentence.tags, scheme_name)
    layers = getattr(sentence, "layers", None)
    if layers:
        sentence.layers = {n: policy.map_tags(t, scheme_name) for n, t in layers.items()}


class _DocumentWriter:
    """Buffers sentences and writes them in bulk; one instance per imported file."""

    def __init__(self, project: Project, summary: ImportSummary, format_name: str = "conll"):
        self.project = project
        self.summary = summary
        self.format_name = format_name
        self.documents: list[tuple[Document, TagLayer]] = []
        # Annotators' layers of the current document: name -> (layer, ids of sentences it has).
        self.annotator_layers: dict[str, tuple[TagLayer, set[int]]] = {}
        self.layer_names: set[str] = set()
        self.imported_spans = False
        self.flagged_with: set[str] = set()
        self.tags_seen: set[str] = set()
        self.position = (
            project.documents.aggregate(top=Max("position"))["top"] if project.pk else None
        )
        self.position = -1 if self.position is None else self.position

    def start(self, event: conll.DocumentStart) -> None:
        fmt = event.format
        self.position += 1
        self.document = Document.objects.create(
            project=self.project,
            position=self.position,
            name=event.name,
            source_name=event.name.split(" #")[0],
            encoding=fmt.encoding,
            bom=fmt.bom,
            newline=fmt.newline,
            delimiter=fmt.delimiter,
            columns=fmt.columns,
            tag_column=fmt.tag_column,
            format=self.format_name,
        )
        self.layer = TagLayer.objects.create(
            document=self.document, name=IMPORTED, kind=TagLayer.Kind.IMPORTED
        )
        self.documents.append((self.document, self.layer))
        self.buffer: list[tuple[conll.Sentence, str]] = []
        self.sentence_sizes: list[tuple[int, int]] = []  # (id, tokens), for annotators' layers
        self.annotator_layers = {}
        self.index: dict[str, list[int]] = defaultdict(list)
        self.count = 0
        self.invalid = 0
        self.tokens = 0
        self.summary.documents += 1

    def add(self, sentence: conll.Sentence, scheme_name: str) -> None:
        self.buffer.append((sentence, scheme_name))
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        ids = bulk.reserve_ids(Sentence, len(self.buffer))
        sentences, tag_rows = [], []
        document_id, layer_id, index = self.document.pk, self.layer.pk, self.index
        tags_seen, flagged_with = self.tags_seen, self.flagged_with
        # Locals, not attributes or module lookups, in the loop: it runs once per sentence.
        dump, strings, flags = bulk.dump_json, bulk.dump_strings, scheme.invalid_positions
        position, tokens = self.count, self.tokens
        for sentence_id, (item, scheme_name) in zip(ids, self.buffer, strict=True):
            words, tags = item.tokens, item.tags
            tokens += len(words)
            # By the tokens as written; `_folded` merges their case forms once per document,
            # not once per token.
            for token in set(words):
                index[token].append(position)
            tags_seen.update(tags)
            source = getattr(item, "source", None)
            sentences.append(
                (
                    sentence_id,
                    document_id,
                    position,
                    strings(words),
                    None if item.extras is None else dump(item.extras),
                    item.before,
                    None if item.formats is None else dump(item.formats),
                    item.line,
                    None if source is None else dump(source),
                )
            )
            position += 1
            all_outside = tags.count("O") == len(tags)
            invalid = None if all_outside else flags(tags, scheme_name) or None
            if invalid:
                self.invalid += len(invalid)
                self._warn(item, invalid)
            tag_rows.append(
                (layer_id, sentence_id, strings(tags), None if invalid is None else dump(invalid),
                 1, False)
            )  # fmt: skip
            flagged_with.add(scheme_name)
            layers = getattr(item, "layers", None)
            if layers is not None or self.annotator_layers:
                self.sentence_sizes.append((sentence_id, len(words)))
                self.imported_spans = self.imported_spans or not all_outside
            if layers:
                self._annotator_rows(sentence_id, layers, tag_rows)
        self.count, self.tokens = position, tokens
        with bulk.unchecked():
            bulk.insert_rows(Sentence, SENTENCE_FIELDS, sentences)
            bulk.insert_rows(SentenceTags, TAG_FIELDS, tag_rows)
        self.buffer = []

    def _annotator_rows(self, sentence_id: int, layers: dict, tag_rows: list) -> None:
        """Rows of the annotators' layers (read-only, like the imported tags), one per name."""
        for name, tags in layers.items():
            entry = self.annotator_layers.get(name)
            if entry is None:
                layer = TagLayer.objects.create(
                    document=self.document, name=name[:200], kind=TagLayer.Kind.IMPORTED
                )
                entry = self.annotator_layers[name] = (layer, set())
                self.layer_names.add(name)
            entry[1].add(sentence_id)
            self.tags_seen.update(tags)
            tag_rows.append((entry[0].pk, sentence_id, bulk.dump_json(tags), None, 1, False))

    def _fill_annotator_layers(self) -> None:
        """Where an annotator did not annotate a record, their layer reads O (every layer has a
        row for every sentence, as the pages and exports expect)."""
        rows = []
        for layer, present in self.annotator_layers.values():
            rows.extend(
                (layer.pk, sentence_id, bulk.dump_json(["O"] * size), None, 1, False)
                for sentence_id, size in self.sentence_sizes
                if sentence_id not in present
            )
        bulk.insert_rows(SentenceTags, TAG_FIELDS, rows)

    def settle_layers(self) -> None:
        """One annotator and no spans without one (a single user's export): their spans are
        the imported tags, not a layer beside an empty one."""
        if len(self.layer_names) != 1 or self.imported_spans:
            if self.layer_names:
                self.summary.layers.extend(sorted(self.layer_names - set(self.summary.layers)))
            return
        name = next(iter(self.layer_names))[:200]
        for document, layer in self.documents:
            replacement = document.layers.filter(name=name).first()
            if replacement is None:
                continue
            layer.delete()
            replacement.name = IMPORTED
            replacement.save(update_fields=["name"])

    def _warn(self, item: conll.Sentence, invalid: list[int]) -> None:
        summary = self.summary
        for i in invalid:
            summary.warning_count += 1
            if len(summary.warnings) < MAX_WARNINGS:
                before = item.tags[i - 1] if i else "the sentence start"
                message = f"invalid transition: {item.tags[i]} after {before} (kept, flagged)"
                summary.warnings.append(
                    conll.Problem(self.document.source_name, item.line + i, message)
                )

    def finish(self, trailer: str) -> None:
        self.flush()
        self._fill_annotator_layers()
        project_id, document_id = self.project.pk, self.document.pk
        numerals = list(map(str, range(self.count)))
        rows = (
            (project_id, document_id, index_key(text), _positions_json(where, numerals))
            for text, where in _folded(self.index).items()
        )
        bulk.insert_rows(TokenIndex, ["project", "document", "text", "sentences"], rows)
        document = self.document
        document.trailer = trailer
        document.sentence_count = self.count
        document.token_count = self.tokens
        document.save(update_fields=["trailer", "sentence_count", "token_count"])
        self.layer.invalid_count = self.invalid
        self.layer.save(update_fields=["invalid_count"])
        self.summary.sentences += self.count
        self.summary.tokens += self.tokens
        self.index = defaultdict(list)

    def settle_scheme(self, final: str) -> None:
        """Record the file's scheme; re-flag if sentences were checked under an earlier guess."""
        for document, _ in self.documents:
            document.scheme = final
        Document.objects.filter(pk__in=[d.pk for d, _ in self.documents]).update(scheme=final)
        if self.flagged_with <= {final}:
            return
        summary = self.summary
        source_name = self.documents[0][0].source_name
        dropped = [
            w
            for w in summary.warnings
            if w.file == source_name and w.message.startswith("invalid transition")
        ]
        summary.warnings = [w for w in summary.warnings if w not in dropped]
        summary.warning_count = len(summary.warnings)
        for document, layer in self.documents:
            self.document, self.layer = document, layer
            reflag_layer(layer, final, warn=self._warn)


def _folded(index: dict[str, list[int]]) -> dict[str, list[int]]:
    """The index by case-folded token: forms that fold alike ("The", "the") share one entry,
    with the positions of both, ascending and once each."""
    folded: dict[str, list[int]] = {}
    for text, where in index.items():
        key = text.casefold()
        other = folded.get(key)
        folded[key] = where if other is None else sorted(set(other).union(where))
    return folded


def _positions_json(where: list[int], numerals: list[str]) -> str:
    """dump_json(where), with each position's digits made once per document (`numerals`), not
    once per token found there."""
    return "[" + ",".join(map(numerals.__getitem__, where)) + "]"


def reflag_layer(layer: TagLayer, scheme_name: str, warn=None) -> int:
    """Recompute the invalid-transition flags of every sentence of a layer."""
    changed, total = [], 0
    rows = SentenceTags.objects.filter(layer=layer).select_related("sentence")
    for row in rows.iterator(chunk_size=BATCH):
        invalid = scheme.invalid_positions(row.tags, scheme_name) or None
        total += len(invalid or ())
        if invalid and warn:
            warn(conll.Sentence(row.sentence.tokens, row.tags, line=row.sentence.line), invalid)
        if invalid != row.invalid:
            row.invalid = invalid
            changed.append(row)
    SentenceTags.objects.bulk_update(changed, ["invalid"], batch_size=BATCH)
    layer.invalid_count = total
    layer.save(update_fields=["invalid_count"])
    return total


def default_layer_name(document: Document) -> str:
    """The project's gold layer where one exists, else the imported tags."""
    return GOLD if document.layers.filter(name=GOLD).exists() else IMPORTED


def export_document(
    document: Document,
    *,
    layer_name: str | None = None,
    scheme_name: str = "keep",
    format_name: str = "conll",
) -> Iterator[bytes]:
    """Stream one document in a format; CoNLL of unchanged tags with scheme 'keep' gives the
    imported file back byte for byte."""
    return registry.get(format_name).write(
        [_export_source(document, layer_name=layer_name, scheme_name=scheme_name)]
    )


def _export_source(
    document: Document, *, layer_name: str | None, scheme_name: str
) -> formats.ExportDocument:
    layer = TagLayer.objects.get(document=document, name=layer_name or default_layer_name(document))
    fmt = conll.DocumentFormat(
        document.encoding,
        document.bom,
        document.newline,
        document.delimiter,
        document.columns,
        document.tag_column,
    )
    target = document.scheme if scheme_name == "keep" else scheme_name
    rows = (
        SentenceTags.objects.filter(layer=layer)
        .order_by("sentence__position")
        .values_list(
            "sentence__tokens",
            "tags",
            "sentence__extras",
            "sentence__before",
            "sentence__formats",
            "sentence__source",
        )
    )

    def sentences() -> Iterator[conll.Sentence]:
        for tokens, tags, extras, before, formats_, source in rows.iterator(chunk_size=BATCH):
            if target != document.scheme:
                tags = scheme.convert(tags, document.scheme, target)
            yield formats.Sentence(tokens, tags, extras, before, formats_, source=source)

    return formats.ExportDocument(
        name=document.name,
        native=document.format,
        scheme=target,
        sentences=sentences(),
        format=fmt,
        trailer=document.trailer,
    )


def export_project(
    project: Project,
    *,
    document_names: list[str] | None = None,
    layer_name: str | None = None,
    scheme_name: str = "keep",
    format_name: str = "conll",
    on_document: Callable[[Document], None] | None = None,
) -> Iterator[bytes]:
    """Stream every (or the named) document of a project as one file of a format.
    `on_document` is told of each document as its turn comes (an export job's progress)."""
    documents = project.documents.order_by("position")
    if document_names:
        documents = documents.filter(name__in=document_names)

    def sources() -> Iterator[formats.ExportDocument]:
        for document in documents.iterator():
            if on_document:
                on_document(document)
            yield _export_source(document, layer_name=layer_name, scheme_name=scheme_name)

    return registry.get(format_name).write(sources())


class _CountingReader:
    """A binary stream that reports how far it has been read, for a job's progress bar."""

    def __init__(self, stream: BinaryIO, progress, offset: int, total: int):
        self.stream, self.progress, self.offset, self.total = stream, progress, offset, total
        self.read_so_far = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.read_so_far += len(data)
        self.progress(self.offset + self.read_so_far, self.total, "Reading and writing")
        return data


def import_needs_job(files: Iterable[UploadedFile]) -> bool:
    """Uploads are imported by a job, not in the request, above IMPORT_JOB_THRESHOLD bytes,
    IMPORT_JOB_DOCUMENTS documents or IMPORT_JOB_SENTENCES sentences in all: each document and
    sentence costs rows and time whatever its size, and a request is cut at gunicorn's timeout."""
    files = list(files)
    if sum(f.size for f in files) > settings.IMPORT_JOB_THRESHOLD:
        return True
    documents = sentences = 0
    for upload in files:
        upload.seek(0)
        left = sizing.Counts(
            settings.IMPORT_JOB_DOCUMENTS - documents, settings.IMPORT_JOB_SENTENCES - sentences
        )
        counts = sizing.count(upload, stop_above=left)
        upload.seek(0)
        documents += counts.documents
        sentences += counts.sentences
        if documents > settings.IMPORT_JOB_DOCUMENTS or sentences > settings.IMPORT_JOB_SENTENCES:
            return True
    return False


def start_import_job(
    *,
    user: AbstractBaseUser,
    project: Project,
    files: list[UploadedFile],
    scheme_name: str,
    encoding: str | None,
    tag_column: int | None,
    format_name: str = registry.AUTO,
    labels: list[str] | None = None,
    new_labels: NewLabels | None = None,
) -> Job:
    """Save the uploads where the worker can read them, and queue their import."""
    folder = Path(settings.MEDIA_ROOT) / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    paths = []
    for number, upload in enumerate(files):
        path = folder / f"{number}{Path(upload.name).suffix.lower()[:16]}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        paths.append(str(path))
    params = {
        "paths": paths,
        "names": [f.name for f in files],
        "scheme": scheme_name,
        "encoding": encoding,
        "tag_column": tag_column,
        "format": format_name,
        "labels": labels,
        "new_labels": policy_to_dict(new_labels or NewLabels()),
    }
    return start_job(kind="import", user=user, project=project, params=params)


def run_import(job, progress) -> ImportSummary:
    """Import uploaded files saved under MEDIA_ROOT; all or nothing, like the upload form."""
    params = job.params
    paths = [Path(path) for path in params["paths"]]
    try:
        total = sum(path.stat().st_size for path in paths)
    except FileNotFoundError as error:
        raise JobFailed(f"the uploaded file is gone: {error.filename}") from error
    try:
        summary = _import_files(job, params, paths, progress, total)
    except (JobFailed, Cancelled):
        # A failed or cancelled import is over: our copy of the upload goes. (A superseded
        # attempt raises something else and leaves the files to the attempt that won.)
        shutil.rmtree(paths[0].parent, ignore_errors=True)
        raise
    shutil.rmtree(paths[0].parent, ignore_errors=True)
    return summary


def _import_files(job, params: dict, paths: list[Path], progress, total: int) -> ImportSummary:
    with ExitStack() as stack, transaction.atomic():
        files, offset = [], 0
        for name, path in zip(params["names"], paths, strict=True):
            stream = stack.enter_context(path.open("rb"))
            files.append((name, _CountingReader(stream, progress, offset, total)))
            offset += path.stat().st_size
        try:
            summary = import_corpus(
                project_name=job.project.name,
                files=files,
                format_name=params.get("format", "conll"),
                scheme_name=params.get("scheme", "auto"),
                encoding=params.get("encoding"),
                tag_column=params.get("tag_column"),
                labels=params.get("labels"),
                new_labels=policy_from_dict(params.get("new_labels") or {}),
            )
        except conll.ConllError as error:
            raise JobFailed(f"Nothing was imported.\n{error}") from error
        except (UnknownLabels, LabelError) as error:
            raise JobFailed(f"Nothing was imported: {error}.") from error
        complete(job, _summary_dict(summary), message=f"Imported {summary.tokens} tokens.")
    return summary


def _summary_dict(summary: ImportSummary) -> dict:
    return {
        "documents": summary.documents,
        "sentences": summary.sentences,
        "tokens": summary.tokens,
        "new_labels": summary.new_labels,
        "layers": summary.layers,
        "warning_count": summary.warning_count,
        "warnings": [str(w) for w in summary.warnings[:50]],
    }
