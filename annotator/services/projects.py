"""Creating projects in the app, and who may: the site-wide create_project permission."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db import IntegrityError, transaction

from annotator.models import SCHEME_CHOICES, Membership, Project
from annotator.nlp import palette
from annotator.services.labels import LabelError, valid_label


class ProjectError(ValueError):
    """A project that cannot be created, or a right that cannot be given; says why."""


@transaction.atomic
def create_project(
    *, user: AbstractBaseUser, name: str, scheme_name: str, labels: Sequence[str]
) -> Project:
    """A new project managed by its creator, with its labels in order (each its own colour).
    The caller checks access.may_create_projects first."""
    name = " ".join(name.split())
    if not name:
        raise ProjectError("a project needs a name")
    if scheme_name not in dict(SCHEME_CHOICES):
        raise ProjectError(f"unknown tag scheme {scheme_name!r}")
    cleaned: list[str] = []
    for label in labels:
        try:
            label = valid_label(label)
        except LabelError as error:
            raise ProjectError(str(error)) from error
        if label not in cleaned:
            cleaned.append(label)
    if Project.objects.filter(name__iexact=name).exists():
        raise ProjectError(f"a project named {name!r} exists already: pick another name")
    try:
        with transaction.atomic():
            project = Project.objects.create(
                name=name,
                scheme=scheme_name,
                labels=cleaned,
                label_colours=palette.assign_colours(cleaned, {}),
            )
    except IntegrityError as error:  # created meanwhile by someone else
        raise ProjectError(f"a project named {name!r} exists already") from error
    Membership.objects.create(project=project, user=user, role=Membership.Role.MANAGER)
    return project


def split_labels(text: str) -> list[str]:
    """Labels typed one per line, or separated by commas."""
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def project_creators() -> list[AbstractBaseUser]:
    """Who holds the create_project permission itself (superusers may anyway)."""
    return list(
        get_user_model()
        .objects.filter(user_permissions=_permission(), is_active=True)
        .order_by("username")
    )


@transaction.atomic
def set_project_creator(*, username: str, allowed: bool) -> AbstractBaseUser:
    """Give or take the right to create projects. The caller checks it is a superuser asking."""
    User = get_user_model()
    user = User.objects.filter(username=User.normalize_username(username.strip())).first()
    if user is None:
        raise ProjectError(f"there is no account named {username.strip()!r}")
    if allowed:
        user.user_permissions.add(_permission())
    else:
        user.user_permissions.remove(_permission())
    return user


def _permission() -> Permission:
    return Permission.objects.get(content_type__app_label="annotator", codename="create_project")
