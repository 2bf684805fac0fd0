"""Project members: adding a person (creating their account if needed) with roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotator.models import Membership, Project


class MemberError(ValueError):
    """A member that cannot be added; the message says why."""


@transaction.atomic
def add_member(
    *, project: Project, username: str, password: str, roles: Iterable[str]
) -> AbstractBaseUser:
    """Give the user `username` the roles in the project, creating the account (which needs a
    password) if there is none. The name is looked up as an account stores it (NFKC-normalised),
    so a name typed in another Unicode form finds its account rather than colliding with it."""
    User = get_user_model()
    username = User.normalize_username(username)
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise MemberError("A new account needs a password.")
        user = User.objects.create_user(username=username, password=password)
    for role in roles:
        Membership.objects.get_or_create(project=project, user=user, role=role)
    return user
