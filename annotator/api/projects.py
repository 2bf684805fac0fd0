"""Projects (list, detail with labels, scheme and settings) and their members (managers)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from annotator import access
from annotator.api import permissions
from annotator.api.exceptions import invalid, validated, validated_query
from annotator.api.pagination import PAGE_PARAMETERS, page_of, paginated
from annotator.api.schema import responses
from annotator.api.serializers import (
    MemberCreateSerializer,
    MemberSerializer,
    ProjectCreateSerializer,
    ProjectDetailSerializer,
    ProjectQuerySerializer,
    ProjectSerializer,
    ProjectSettingsSerializer,
)
from annotator.forms import MemberForm, ProjectSettingsForm
from annotator.models import Membership, Project
from annotator.services import projects
from annotator.services.members import MemberError, add_member

TAGS = ["projects"]


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_list",
    summary="The projects you are a member of",
    parameters=[ProjectQuerySerializer, *PAGE_PARAMETERS],
    responses=responses({200: page_of(ProjectSerializer)}, 400, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_create",
    summary="Create a project (superusers, and whoever a superuser let); you become its manager",
    request=ProjectCreateSerializer,
    responses=responses({201: ProjectDetailSerializer}, 400, 403),
)
@api_view(["GET", "POST"])
def project_list(request: Request) -> Response:
    if request.method == "POST":
        return _create(request)
    mine = access.projects_for(request.user).order_by("name")
    search = validated_query(ProjectQuerySerializer, request.query_params).get("search")
    if search:
        mine = mine.filter(name__icontains=search)
    return paginated(request, mine, ProjectSerializer)


def _create(request: Request) -> Response:
    if not access.may_create_projects(request.user):
        raise PermissionDenied("You may not create projects: a superuser can allow you.")
    data = validated(ProjectCreateSerializer, request.data)
    try:
        project = projects.create_project(
            user=request.user, name=data["name"], scheme_name=data["scheme"], labels=data["labels"]
        )
    except projects.ProjectError as error:
        raise invalid({"name" if "named" in str(error) else "labels": [str(error)]}) from error
    who = access.project_access(request.user, project.pk)
    totals = {"documents": 0, "sentences": 0, "tokens": 0}
    body = ProjectDetailSerializer(project, context={"access": who, "totals": totals}).data
    return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_retrieve",
    summary="A project: labels, scheme, workload settings, your roles",
    responses=responses({200: ProjectDetailSerializer}, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["PATCH"],
    operation_id="projects_partial_update",
    summary="Change labels and workload settings (managers), as the settings page does",
    request=ProjectSettingsSerializer,
    responses=responses({200: ProjectDetailSerializer}, 400, 403, 404),
)
@api_view(["GET", "PATCH"])
def project_detail(request: Request, pk: int) -> Response:
    if request.method == "PATCH":
        who = permissions.project(request, pk, access.MANAGER)
        _change_settings(who.project, validated(ProjectSettingsSerializer, request.data))
    else:
        who = permissions.project(request, pk)
    documents = who.documents()
    totals = documents.aggregate(sentences=Sum("sentence_count"), tokens=Sum("token_count"))
    totals = {
        "documents": documents.count(),
        "sentences": totals["sentences"] or 0,
        "tokens": totals["tokens"] or 0,
    }
    context = {"access": who, "totals": totals}
    return Response(ProjectDetailSerializer(who.project, context=context).data)


def _change_settings(project: Project, changes: dict) -> None:
    """Through ProjectSettingsForm: the same rules as the page (e.g. labels in use stay)."""
    data = {name: getattr(project, name) for name in ProjectSettingsForm.Meta.fields}
    data["labels_text"] = "\n".join(project.labels)
    if "labels" in changes:
        data["labels_text"] = "\n".join(changes.pop("labels"))
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    form = ProjectSettingsForm(data=data, instance=project)
    if not form.is_valid():
        raise invalid({"labels" if k == "labels_text" else k: v for k, v in form.errors.items()})
    form.save()


@extend_schema(
    tags=TAGS,
    methods=["GET"],
    operation_id="projects_members_list",
    summary="The project's members and their roles (managers)",
    parameters=PAGE_PARAMETERS,
    responses=responses({200: page_of(MemberSerializer)}, 400, 403, 404),
)
@extend_schema(
    tags=TAGS,
    methods=["POST"],
    operation_id="projects_members_create",
    summary="Add a member with roles, creating the account if needed (managers)",
    description="The Members page's form and rules. A new account needs a password.",
    request=MemberCreateSerializer,
    responses=responses({201: MemberSerializer}, 400, 403, 404),
)
@api_view(["GET", "POST"])
def project_members(request: Request, pk: int) -> Response:
    who = permissions.project(request, pk, access.MANAGER)
    if request.method == "POST":
        return _add(request, who)
    rows = (
        Membership.objects.filter(project=who.project)
        .select_related("user")
        .order_by("user__username", "role")
    )
    members: dict[int, dict] = {}
    for row in rows:
        member = members.setdefault(
            row.user_id, {"id": row.user_id, "username": row.user.get_username(), "roles": []}
        )
        member["roles"].append(row.role)
    return paginated(request, list(members.values()), MemberSerializer)


def _add(request: Request, who: access.Access) -> Response:
    data = validated(MemberCreateSerializer, request.data)
    form = MemberForm({"password": "", **data})  # the page's form: the same rules
    if not form.is_valid():
        raise invalid(form.errors)
    data = form.cleaned_data
    try:
        user = add_member(
            project=who.project,
            username=data["username"],
            password=data["password"],
            roles=data["roles"],
        )
    except MemberError as error:
        raise invalid({"password": [str(error)]}) from error
    roles = Membership.objects.filter(project=who.project, user=user).values_list("role", flat=True)
    member = {"id": user.pk, "username": user.get_username(), "roles": list(roles)}
    return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("projects/", project_list, name="annotator-api-project-list"),
    path("projects/<int:pk>/", project_detail, name="annotator-api-project-detail"),
    path("projects/<int:pk>/members/", project_members, name="annotator-api-project-members"),
]
