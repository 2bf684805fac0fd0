from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from annotator.management.commands._jobs import document_ids, project_named, run_here
from annotator.models import TaggerModel


class Command(BaseCommand):
    help = "Pre-annotate documents with a trained model; prints the layer it wrote."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--model", required=True, help="model name (latest version)")
        parser.add_argument("--model-version", type=int, default=None)
        parser.add_argument(
            "--documents",
            nargs="*",
            default=None,
            help="document names, or imported files' names for all their documents",
        )

    def handle(self, *args, **options):
        project = project_named(options["project"])
        models = TaggerModel.objects.filter(project=project, name=options["model"])
        if options["model_version"]:
            models = models.filter(version=options["model_version"])
        model = models.order_by("-version").first()
        if model is None:
            raise CommandError(f"no model named {options['model']!r} in the project")
        data = {"model": model.pk, "documents": document_ids(project, options["documents"])}
        job = run_here("preannotate", project, data)
        self.stdout.write(job.result["layer"])
