from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from annotator.management.commands._jobs import documents_named
from annotator.models import Project, TagLayer
from annotator.nlp.formats import registry
from annotator.services import corpus


class Command(BaseCommand):
    help = "Write a project's documents as one file of a registered format, in import order."
    format_name: str | None = None  # set by the shorthands (export_conll)

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        if self.format_name is None:
            parser.add_argument("--format", required=True, choices=list(registry.FORMATS))
        parser.add_argument(
            "--document",
            action="append",
            help="a document name, or an imported file's name for all its documents; repeatable",
        )
        parser.add_argument("--layer", default=None, help="default: gold if present, else imported")
        parser.add_argument(
            "--scheme", default="keep", choices=["keep", "iob1", "iob2", "bioes", "bilou"]
        )
        parser.add_argument("--output", default=None, help="a file; default: standard output")

    def handle(self, *args, **options):
        try:
            project = Project.objects.get(name=options["project"])
        except Project.DoesNotExist as error:
            raise CommandError(f"no project named {options['project']!r}") from error
        names = options["document"]
        if names:
            names = [name for _, name in documents_named(project, names)]
        if options["layer"]:
            refuse_documents_without(project, names, options["layer"])
        chunks = corpus.export_project(
            project,
            document_names=names,
            layer_name=options["layer"],
            scheme_name=options["scheme"],
            format_name=self.format_name or options["format"],
        )
        try:
            if options["output"]:
                with open(options["output"], "wb") as out:
                    for chunk in chunks:
                        out.write(chunk)
            else:
                for chunk in chunks:
                    sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
        except TagLayer.DoesNotExist as error:
            raise CommandError(f"no layer named {options['layer']!r} in a document") from error


def refuse_documents_without(project: Project, names: list[str] | None, layer: str) -> None:
    """Checked before anything is written, so a missing layer leaves no half-written file.
    A model's layer is only in the documents it tagged: the message says which to name."""
    documents = project.documents.filter(name__in=names) if names else project.documents.all()
    lacking = list(
        documents.exclude(layers__name=layer).order_by("position").values_list("name", flat=True)
    )
    if lacking:
        shown = ", ".join(map(repr, lacking[:3])) + (", ..." if len(lacking) > 3 else "")
        raise CommandError(
            f"layer {layer!r} is not in {len(lacking)} of the documents ({shown}); "
            "name the documents that have it with --document"
        )
