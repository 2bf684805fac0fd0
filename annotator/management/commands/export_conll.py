from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from annotator import services
from annotator.models import Project, TagLayer


class Command(BaseCommand):
    help = "Write a project's documents as CoNLL, in import order."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--document", action="append", help="a document name; repeatable")
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
            missing = set(names) - set(
                project.documents.filter(name__in=names).values_list("name", flat=True)
            )
            if missing:
                raise CommandError(f"no such document in the project: {', '.join(sorted(missing))}")
        chunks = services.export_project(
            project,
            document_names=names,
            layer_name=options["layer"],
            scheme_name=options["scheme"],
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
