"""Run a job of any kind started with parameters, here, as a worker would."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from rest_framework import serializers

from annotator.jobs import registry
from annotator.management.commands._jobs import project_named, run_here


class Command(BaseCommand):
    help = (
        "Run a job (the kinds the jobs API starts) with its parameters as NAME=VALUE, read by "
        "the kind's form as the page and the API read them (a list: NAME=VALUE once per value); "
        "prints the job's result."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[kind.name for kind in registry.startable()])
        parser.add_argument("--project", required=True)
        parser.add_argument("params", nargs="*", metavar="NAME=VALUE")

    def handle(self, *args, **options):
        project = project_named(options["project"])
        kind = registry.get(options["kind"])
        job = run_here(kind.name, project, _data(kind.params(), options["params"]))
        self.stdout.write(json.dumps(job.result, indent=2, ensure_ascii=False))


def _data(form: serializers.Serializer, pairs: list[str]) -> dict:
    """NAME=VALUE pairs as the form's data: a list field's values gathered, others as given
    (the form reads "true", "5" as a page's form would)."""
    data: dict = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals:
            raise CommandError(f"{pair!r} is not NAME=VALUE")
        if isinstance(form.fields.get(name), serializers.ListField):
            data.setdefault(name, []).append(value)
        else:
            data[name] = value
    return data
