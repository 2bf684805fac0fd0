"""Who may see and do what in a project: the one place the rules live.

Pages, htmx endpoints, downloads and the API all ask here. A user who is not a member gets 404
for everything of the project (its ids tell nothing); a member without the needed role gets 403.

Who may write which layer (`Access.write_refusal`) is asked by the services themselves, at the
point where they write, so that no page, endpoint, command or job can forget it:
- the imported layer and model suggestions: never edited;
- an annotator's layer: only by that annotator, on sentences of their tasks that are assigned,
  in progress or sent back (changes requested); read-only once submitted or approved;
- gold: reviewers and managers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from annotator import prepared, rows
from annotator.models import GOLD, IMPORTED, Document, Job, Membership, Project, TagLayer, Task

MANAGER = Membership.Role.MANAGER
REVIEWER = Membership.Role.REVIEWER
ANNOTATOR = Membership.Role.ANNOTATOR

Kind = TagLayer.Kind
State = Task.State


class WriteRefused(PermissionDenied):
    """A write the layer rule does not allow; the message says why, in words (pages and the
    API answer it with 403 and this text)."""


NEVER_EDITED = {
    Kind.IMPORTED: "The imported tags are kept as they came; they are never edited.",
    Kind.MODEL: "Model suggestions are never edited; compare them with gold or your own layer "
    "and take what is right.",
}
GOLD_IS_REVIEWERS = "Gold is written by reviewers and managers only."
READ_ONLY_TASK = {
    State.SUBMITTED: "This task was submitted; its layer is read-only.",
    State.APPROVED: "This task was approved; its layer is read-only.",
}


@dataclass
class Access:
    user: AbstractBaseUser
    project: Project
    roles: frozenset[str]
    _tasks: list[Task] | None = field(default=None, repr=False)
    # One document's tasks of this user, when the caller read them with what it edits.
    _document_tasks: tuple[int, list[Task]] | None = field(default=None, repr=False)

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

    def tasks_in(self, document_pk: int) -> list[Task]:
        """This user's tasks (not withdrawn) in one document of the project."""
        if self._document_tasks is not None and self._document_tasks[0] == document_pk:
            return self._document_tasks[1]
        return [t for t in self.tasks() if t.document_id == document_pk]

    def documents(self) -> QuerySet[Document]:
        documents = self.project.documents.all()
        if self.sees_everything:
            return documents
        return documents.filter(pk__in={t.document_id for t in self.tasks()})

    def layer_filter(self, document: Document) -> Q:
        """The layers of the document this user may see (as `sees_layer`, in SQL)."""
        if self.sees_everything:
            return Q()
        return Q(owner=self.user) | Q(name__in=self._start_layers(document))

    def sees_layer(self, document: Document, layer: TagLayer) -> bool:
        """Whether this user may see a layer already loaded (`layer_filter`, in Python)."""
        if self.sees_everything:
            return True
        return layer.owner_id == self.user.pk or layer.name in self._start_layers(document)

    def sees_document(self, document: Document) -> bool:
        """Reviewers (and everyone, in a project that is not blind) see every document; a
        blind project's annotators only those of their tasks."""
        return self.sees_everything or bool(self.tasks_in(document.pk))

    def _start_layers(self, document: Document) -> set[str]:
        return {t.start_layer for t in self.tasks_in(document.pk)}

    def write_refusal(self, layer: TagLayer, positions: Iterable[int] | None = None) -> str | None:
        """Why this user may not write `layer` (at these sentence positions), or None if they
        may. Without positions: whether they may write any of it (the page's palette)."""
        if layer.kind in NEVER_EDITED:
            return NEVER_EDITED[layer.kind]
        if layer.kind == Kind.GOLD:
            return None if self.is_reviewer else GOLD_IS_REVIEWERS
        if layer.owner_id != self.user.pk:
            return (
                f"Only its own annotator writes the layer {layer.name!r}; "
                "reviewers take from it into gold."
            )
        tasks = [t for t in self.tasks_in(layer.document_id) if t.layer_id == layer.pk]
        if positions is None:
            if any(t.state in Task.OPEN_STATES for t in tasks):
                return None
            return _task_refusal(tasks)
        for position in positions:
            covering = [t for t in tasks if t.covers(position)]
            if not any(t.state in Task.OPEN_STATES for t in covering):
                return _task_refusal(covering)
        return None

    def require_write(self, layer: TagLayer, positions: Iterable[int] | None = None) -> None:
        """Raise WriteRefused, saying why, unless the rule lets this user write there."""
        reason = self.write_refusal(layer, positions)
        if reason:
            raise WriteRefused(reason)


def _task_refusal(tasks: list[Task]) -> str:
    for task in tasks:
        if task.state in READ_ONLY_TASK:
            return READ_ONLY_TASK[task.state]
    return "This sentence is not in one of your open tasks."


def writer(*, user: AbstractBaseUser | None, project: Project) -> Access:
    """The access of someone the services write for, when the caller did not bring it (commands,
    jobs, tests): the same rule, asked with one more query."""
    if user is None:
        raise WriteRefused("A write needs someone who makes it.")
    roles = frozenset(
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True)
    )
    return Access(user, project, roles)


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
    return member_access(user, project, roles)


def member_access(user: AbstractBaseUser, project: Project, roles: frozenset[str]) -> Access:
    """The access of a user with these roles in the project: 404 for a non-member."""
    if not roles and not user.is_superuser:
        raise Http404("No such project.")
    return Access(user, project, roles)


def document_access(user: AbstractBaseUser, pk: int, *roles: str) -> tuple[Document, Access]:
    """A document the user may see, with their access to its project."""
    found = _document_with_roles(user, pk)
    if found is None:
        raise Http404("No such document.")
    document, held = found
    access = member_access(user, document.project, held)
    if not access.sees_document(document):
        raise Http404("No such document.")
    if roles:
        access.require(*roles)
    return document, access


def _document_with_roles(user: AbstractBaseUser, pk: int) -> tuple[Document, frozenset] | None:
    """The document, its project and the user's roles there, in one statement written once
    (rows.py): every document page and endpoint asks it, and building the equivalent queryset
    cost more CPU than running it."""
    if not rows.fits_bigint(pk):
        return None
    sql, loaders = _document_statement(connection.vendor)
    with prepared.cursor() as cursor:
        cursor.execute(sql, {"user": user.pk, "document": pk})
        found = cursor.fetchone()
    if found is None:
        return None
    (document, project), held = rows.load_all(loaders, found)
    document.project = project
    return document, frozenset(role for role, has in zip(ROLES, held, strict=True) if has)


ROLES = tuple(Membership.Role)


@cache
def _document_statement(vendor: str) -> tuple[str, list[rows.Loader]]:
    loaders = [rows.Loader(Document, "d"), rows.Loader(Project, "p")]
    membership = Membership._meta.db_table
    held = [
        f"EXISTS (SELECT 1 FROM {membership} m WHERE m.project_id = d.project_id "  # noqa: S608
        f"AND m.user_id = %(user)s AND m.role = '{role}')"
        for role in ROLES
    ]
    columns = [column for loader in loaders for column in loader.columns]
    sql = (
        f"SELECT {', '.join(columns)}, {', '.join(held)} "  # noqa: S608
        f"FROM {Document._meta.db_table} d JOIN {Project._meta.db_table} p ON p.id = d.project_id "
        "WHERE d.id = %(document)s"
    )
    return sql, loaders


def projects_for(user: AbstractBaseUser) -> QuerySet[Project]:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(membership__user=user).distinct()


def report_reader(*, user: AbstractBaseUser, project_pk: int) -> Access:
    """Managers and reviewers read agreement reports; annotators only when the project opens
    them."""
    who = project_access(user, project_pk)
    if not (who.is_reviewer or who.project.agreement_open):
        raise PermissionDenied("Agreement reports are for reviewers and managers.")
    return who


def job_access(*, user: AbstractBaseUser, job_pk: int) -> tuple[Job, Access]:
    """A job of a project the user belongs to: reviewers see all, others only their own."""
    job = Job.objects.filter(pk=job_pk).select_related("project", "user").first()
    if job is None or job.project_id is None:
        raise Http404("No such job.")
    who = project_access(user, job.project_id)
    if not who.is_reviewer and job.user_id != user.pk:
        raise Http404("No such job.")
    return job, who


def default_layer(*, layers: dict[str, TagLayer], who: Access) -> str:
    """The layer a document opens with: an annotator's own; for reviewers gold where it
    exists, else the imported tags. `layers` are the visible ones, by name, oldest first."""
    own = [name for name, layer in layers.items() if layer.owner_id == who.user.pk]
    if own and not who.is_reviewer:
        return own[0]
    for name in (GOLD, IMPORTED):
        if name in layers:
            return name
    return next(iter(layers))


def edit_target(
    *,
    user: AbstractBaseUser,
    document_pk: int,
    layer_name: str,
    seen: tuple[Document, Access] | None = None,
) -> tuple[Document, Access, TagLayer]:
    """The document, the user's access and the layer an edit goes to.

    Gold (created from the imported tags on the first edit) is for reviewers, and is what an
    edit naming no layer, or the imported one, goes to; annotators edit their own layers, and
    only inside their open tasks (checked per sentence by the services, with `require_write`).
    `seen`: the caller's `document_access(user, document_pk)`, not asked again.
    """
    from annotator.services.editing import ensure_working_layer  # services ask this module

    document, who = seen or document_access(user, document_pk)
    if edits_gold(layer_name):
        require_gold_writer(who, layer_name)
        layer = ensure_working_layer(document)
    else:
        layer = document.layers.filter(who.layer_filter(document), name=layer_name).first()
        if layer is None:
            raise Http404("No such layer.")
        who.require_write(layer)  # the services ask again, per sentence
    layer.document = document  # already loaded, with its project
    return document, who, layer


def edits_gold(layer_name: str) -> bool:
    """An edit naming no layer, or the imported one, goes to gold."""
    return layer_name in ("", IMPORTED, GOLD)


def require_gold_writer(who: Access, layer_name: str) -> None:
    if not who.is_reviewer:
        raise WriteRefused(
            NEVER_EDITED[Kind.IMPORTED] if layer_name == IMPORTED else GOLD_IS_REVIEWERS
        )


def loaded_edit_target(
    *,
    user: AbstractBaseUser,
    layer: TagLayer,
    layer_name: str,
    roles: frozenset[str],
    tasks: list[Task],
) -> Access:
    """`edit_target`'s rules, asked of a layer loaded with its document and project, of the
    user's roles there and of their tasks in the document (read in the same query): the user's
    access, or 404 / WriteRefused as `edit_target` answers. The layer must be the one
    `layer_name` names (gold for a gold edit)."""
    document = layer.document
    who = member_access(user, document.project, roles)
    who._document_tasks = (document.pk, tasks)
    if not who.sees_document(document):
        raise Http404("No such document.")
    if edits_gold(layer_name):
        require_gold_writer(who, layer_name)
    else:
        if not who.sees_layer(document, layer):
            raise Http404("No such layer.")
        who.require_write(layer)
    return who


TASK_ACTIONS = {
    "start": ANNOTATOR,
    "submit": ANNOTATOR,
    "approve": REVIEWER,
    "changes": REVIEWER,
    "reassign": MANAGER,
    "withdraw": MANAGER,
}


def require_task_action(*, who: Access, task: Task, action: str) -> None:
    """404 unless `action` is a workflow step and, for start and submit, the task is the
    user's own; 403 without the role the step needs (reviewer: approve, changes; manager:
    reassign, withdraw)."""
    role = TASK_ACTIONS.get(action)
    if role is None:
        raise Http404("Unknown action.")
    if role == ANNOTATOR:
        if task.annotator_id != who.user.pk:
            raise Http404("No such task.")
    else:
        who.require(role)


CREATE_PROJECT = "annotator.create_project"


def may_create_projects(user: AbstractBaseUser) -> bool:
    """Superusers, and whoever a superuser gave the site-wide create_project permission."""
    return user.is_authenticated and (user.is_superuser or user.has_perm(CREATE_PROJECT))


def require_superuser(user: AbstractBaseUser) -> None:
    if not (user.is_authenticated and user.is_superuser):
        raise PermissionDenied("Only a superuser can do this.")
