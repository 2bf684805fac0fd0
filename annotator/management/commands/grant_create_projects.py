from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from annotator.services import projects


class Command(BaseCommand):
    help = "Let users create projects in the app (the create_project permission), or stop them."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+")
        parser.add_argument("--revoke", action="store_true", help="take the right away")

    def handle(self, *args, **options):
        allowed = not options["revoke"]
        for username in options["usernames"]:
            try:
                user = projects.set_project_creator(username=username, allowed=allowed)
            except projects.ProjectError as error:
                raise CommandError(str(error)) from error
            verb = "may create projects now" if allowed else "may no longer create projects"
            self.stdout.write(f"{user.get_username()} {verb}.")
