from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from annotator.management.commands._jobs import project_named, run_here


class Command(BaseCommand):
    help = "Train a pre-annotation model on a layer (the same code as the training job)."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--layer", required=True, help="e.g. gold or imported")
        parser.add_argument("--kind", default="crf", choices=["crf"])
        parser.add_argument("--name", required=True)
        parser.add_argument("--documents", nargs="*", default=None, help="document names")
        parser.add_argument("--iterations", type=int, default=100)

    def handle(self, *args, **options):
        project = project_named(options["project"])
        ids = None
        if options["documents"]:
            ids = list(
                project.documents.filter(name__in=options["documents"]).values_list("pk", flat=True)
            )
            if len(ids) != len(set(options["documents"])):
                raise CommandError("some of those documents are not in the project")
        params = {
            "layer": options["layer"],
            "name": options["name"],
            "documents": ids,
            "iterations": options["iterations"],
        }
        job = run_here("train-crf", project, params)
        micro = job.result["evaluation"]["micro"]
        self.stdout.write(f"Trained {job.result['name']}: held-out F1 {micro['f1']:.3f}")
        for label, row in job.result["evaluation"].items():
            if label != "micro":
                self.stdout.write(f"  {label:20} F1 {row['f1']:.3f}  (support {row['support']})")
