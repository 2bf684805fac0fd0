from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotator.nlp import conll
from annotator.nlp.formats import registry
from annotator.services import corpus
from annotator.services.labels import (
    NEW_LABEL_ACTIONS,
    LabelError,
    NewLabels,
    UnknownLabels,
    parse_mapping,
)

SHOWN_WARNINGS = 20


class Command(BaseCommand):
    help = "Import corpus files (any registered format) into a project; all files or nothing."
    format_name: str | None = None  # set by the shorthands (import_conll)

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--project", required=True)
        if self.format_name is None:
            parser.add_argument(
                "--format",
                default=registry.AUTO,
                choices=[name for name, _ in registry.choices()],
                help="default: auto (by extension, then content)",
            )
        parser.add_argument(
            "--scheme", default="auto", choices=["auto", "iob1", "iob2", "bioes", "bilou"]
        )
        parser.add_argument("--encoding", default=None, help="CoNLL: e.g. latin-1; default UTF-8")
        parser.add_argument(
            "--tag-column",
            type=int,
            default=None,
            help="CoNLL: 1-based; negative counts from the end",
        )
        parser.add_argument(
            "--new-labels",
            choices=NEW_LABEL_ACTIONS,
            default=None,
            help="labels the project lacks: add them, or refuse the import (the default, "
            "unless the project has no labels yet)",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FILE_LABEL=PROJECT_LABEL",
            help="import a file label as one of the project's (=O drops its spans); repeatable",
        )
        if self.format_name is None:
            parser.add_argument(
                "--labels",
                default=None,
                help="hf: the tag names in id order when ner_tags are ids (O,B-PER,I-PER,...)",
            )

    def handle(self, *args, **options):
        labels = options.get("labels")
        try:
            policy = NewLabels(options["new_labels"], parse_mapping(options["map"]))
        except LabelError as error:
            raise CommandError(f"--map {error}") from error
        with ExitStack() as stack:
            try:
                files = [(p.name, stack.enter_context(p.open("rb"))) for p in options["files"]]
            except OSError as error:
                raise CommandError(f"{error.filename}: {error.strerror}") from error
            try:
                summary = corpus.import_corpus(
                    project_name=options["project"],
                    files=files,
                    format_name=self.format_name or options["format"],
                    scheme_name=options["scheme"],
                    encoding=options["encoding"],
                    tag_column=options["tag_column"],
                    labels=[x.strip() for x in labels.split(",")] if labels else None,
                    new_labels=policy,
                )
            except conll.ConllError as error:
                raise CommandError(f"nothing was imported:\n{error}") from error
            except UnknownLabels as error:
                raise CommandError(
                    f"nothing was imported: {error} (--new-labels add, or --map LABEL=LABEL)"
                ) from error
            except LabelError as error:
                raise CommandError(f"nothing was imported: {error}") from error
        self._report(summary)

    def _report(self, summary: corpus.ImportSummary) -> None:
        out = self.stdout
        out.write(
            f"Imported into {summary.project.name}: {summary.documents} documents, "
            f"{summary.sentences} sentences, {summary.tokens} tokens."
        )
        for name, scheme_name in summary.schemes.items():
            out.write(f"  {name}: scheme {scheme_name} (format {summary.formats[name]})")
        labels = ", ".join(sorted(summary.labels)) or "none"
        out.write(f"Labels ({len(summary.labels)}): {labels}")
        if summary.new_labels:
            out.write(f"New labels added to the project: {', '.join(summary.new_labels)}")
        if summary.layers:
            out.write(f"Annotators' layers: {', '.join(summary.layers)}")
        if summary.warning_count:
            out.write(f"Warnings ({summary.warning_count}):")
            for warning in summary.warnings[:SHOWN_WARNINGS]:
                out.write(f"  {warning}")
            if summary.warning_count > SHOWN_WARNINGS:
                out.write(f"  ... and {summary.warning_count - SHOWN_WARNINGS} more")
