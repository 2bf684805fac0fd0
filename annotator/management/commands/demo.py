from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from annotator.models import Membership, Project
from annotator.services import assignment, corpus

SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "rnn-wikipedia.conll"
PROJECT = "Demo: RNN (Wikipedia)"
USERS = [
    # username, password, roles, superuser
    ("admin", "admin-demo", [], True),
    ("manager", "manager-demo", ["manager", "reviewer"], False),
    ("alice", "alice-demo", ["annotator"], False),
    ("bob", "bob-demo", ["annotator"], False),
    ("rita", "rita-demo", ["reviewer"], False),
]


class Command(BaseCommand):
    help = "Create the demo project (the sample imported) and demo users; safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="where the app will be served"
        )

    @transaction.atomic
    def handle(self, *args, **options):
        project = Project.objects.filter(name=PROJECT).first()
        if project is None:
            with SAMPLE.open("rb") as sample:
                summary = corpus.import_conll(project_name=PROJECT, files=[(SAMPLE.name, sample)])
            project = summary.project
            self.stdout.write(
                f"Imported {SAMPLE.name} into {PROJECT!r}: {summary.sentences} sentences, "
                f"{summary.tokens} tokens."
            )
        User = get_user_model()
        for username, password, roles, superuser in USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_superuser": superuser, "is_staff": superuser}
            )
            if created:
                user.set_password(password)
                user.save()
            for role in roles:
                Membership.objects.get_or_create(project=project, user=user, role=role)
        if not project.tasks.exists():
            # Two annotators on every part of the article, so agreement can be measured.
            project.annotators_per_document = 2
            project.task_size = 50
            project.save(update_fields=["annotators_per_document", "task_size"])
            manager = User.objects.get(username="manager")
            tasks, _ = assignment.auto_assign(
                manager=manager, project=project, documents=list(project.documents.all())
            )
            self.stdout.write(f"Assigned {len(tasks)} tasks to alice and bob (k=2).")
        self.stdout.write("Demo logins (user / password / roles):")
        for username, password, roles, superuser in USERS:
            what = "superuser" if superuser else ", ".join(roles)
            self.stdout.write(f"  {username:8} {password:14} {what}")
        self.stdout.write(f"Open {options['url']} and log in with one of them.")
