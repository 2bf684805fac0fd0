"""Who may see and do what in a project: the one place the rules live.

Pages, htmx endpoints, downloads and the API all ask here. A user who is not a member gets 404
for everything of the project (its ids tell nothing); a member without the needed role gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from annotator.models import Document, Membership, Project, TagLayer, Task

MANAGER = Membership.Role.MANAGER
REVIEWER = Membership.Role.REVIEWER
ANNOTATOR = Membership.Role.ANNOTATOR


@dataclass
class Access:
    user: AbstractBaseUser
    project: Project
    roles: frozenset[str]
    _tasks: list[Task] | None = field(default=None, repr=False)

    @property
    def is_manager(self) -> bool:
        return self.user.is_superuser or MANAGER in self.roles

    @property
    def is_reviewer(self) -> bool:
        """Reviewers review and adjudicate; managers may do all a reviewer does."""
        return self.is_manager or REVIEWER in self.roles

    @property
    def is_annotator(self) -> bool:
        return ANNOTATOR in self.roles

    @property
    def sees_everything(self) -> bool:
        return self.is_reviewer or not self.project.blind

    def require(self, *roles: str) -> Access:
        allowed = {
            MANAGER: self.is_manager,
            REVIEWER: self.is_reviewer,
            ANNOTATOR: self.is_annotator or self.is_reviewer,
        }
        if not any(allowed[role] for role in roles):
            raise PermissionDenied("Your role in this project does not allow this.")
        return self

    def tasks(self) -> list[Task]:
        """This user's tasks in the project (not withdrawn), loaded once."""
        if self._tasks is None:
            self._tasks = list(
                Task.objects.filter(project=self.project, annotator=self.user)
                .exclude(state=Task.State.WITHDRAWN)
                .select_related("layer")
            )
        return self._tasks

    def documents(self) -> QuerySet[Document]:
        documents = self.project.documents.all()
        if self.sees_everything:
            return documents
        return documents.filter(pk__in={t.document_id for t in self.tasks()})

    def layer_filter(self, document: Document) -> Q:
        """The layers of the document this user may see."""
        if self.sees_everything:
            return Q()
        mine = [t for t in self.tasks() if t.document_id == document.pk]
        return Q(owner=self.user) | Q(name__in={t.start_layer for t in mine})

    def can_edit(self, layer: TagLayer, position: int) -> bool:
        if not layer.editable:
            return False
        if self.is_reviewer:
            return True
        return any(
            t.layer_id == layer.pk and t.covers(position) and t.state in Task.OPEN_STATES
            for t in self.tasks()
        )


def project_access(user: AbstractBaseUser, pk: int, *roles: str) -> Access:
    """The user's access to project `pk`: 404 for non-members, 403 without one of `roles`."""
    project = Project.objects.filter(pk=pk).first()
    if project is None or not user.is_authenticated:
        raise Http404("No such project.")
    access = _access(user, project)
    return access.require(*roles) if roles else access


def _access(user: AbstractBaseUser, project: Project) -> Access:
    roles = frozenset(
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True)
    )
    if not roles and not user.is_superuser:
        raise Http404("No such project.")
    return Access(user, project, roles)


def document_access(user: AbstractBaseUser, pk: int, *roles: str) -> tuple[Document, Access]:
    """A document the user may see, with their access to its project."""
    document = Document.objects.select_related("project").filter(pk=pk).first()
    if document is None:
        raise Http404("No such document.")
    access = _access(user, document.project)
    if not access.sees_everything and not any(t.document_id == pk for t in access.tasks()):
        raise Http404("No such document.")
    if roles:
        access.require(*roles)
    return document, access


def projects_for(user: AbstractBaseUser) -> QuerySet[Project]:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(membership__user=user).distinct()
