from __future__ import annotations

from django.core.management.base import BaseCommand

from annotator.management.commands._jobs import document_ids, project_named, run_here


class Command(BaseCommand):
    help = "Train a pre-annotation model on a layer (the same code as the training job)."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--layer", required=True, help="e.g. gold or imported")
        parser.add_argument("--kind", default="crf", choices=["crf"])
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--documents",
            nargs="*",
            default=None,
            help="document names, or imported files' names for all their documents",
        )
        parser.add_argument("--iterations", type=int, default=100)

    def handle(self, *args, **options):
        project = project_named(options["project"])
        data = {
            "layer": options["layer"],
            "name": options["name"],
            "documents": document_ids(project, options["documents"]),
            "iterations": options["iterations"],
        }
        job = run_here("train-crf", project, data)
        micro = job.result["evaluation"]["micro"]
        self.stdout.write(f"Trained {job.result['name']}: held-out F1 {micro['f1']:.3f}")
        for label, row in job.result["evaluation"].items():
            if label != "micro":
                self.stdout.write(f"  {label:20} F1 {row['f1']:.3f}  (support {row['support']})")
