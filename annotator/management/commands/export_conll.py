from __future__ import annotations

from annotator.management.commands import export_corpus


class Command(export_corpus.Command):
    help = "Write a project's documents as CoNLL, in import order."
    format_name = "conll"
