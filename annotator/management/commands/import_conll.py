from __future__ import annotations

from annotator.management.commands import import_corpus


class Command(import_corpus.Command):
    help = "Import CoNLL files into a project (created if missing); all files or nothing."
    format_name = "conll"
