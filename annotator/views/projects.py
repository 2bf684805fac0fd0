"""The project list's set-up parts: creating a project, and who may (superusers grant it)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from annotator import access
from annotator.models import SCHEME_CHOICES
from annotator.services import projects


class NewProjectForm(forms.Form):
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"size": 30}))
    scheme = forms.ChoiceField(choices=SCHEME_CHOICES, initial="iob2", label="Tag scheme")
    labels = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 30}),
        help_text="One per line (or separated by commas), in key order. You can add, rename "
        "and merge them later on Settings, or take them from the first file you import.",
    )


def setup_context(request: HttpRequest, **extra) -> dict:
    """The project list's New project form and, for superusers, who may create projects."""
    user = request.user
    context: dict = {"may_create": access.may_create_projects(user)}
    if context["may_create"]:
        context["new_project_form"] = extra.pop("new_project_form", None) or NewProjectForm()
    if user.is_superuser:
        context["creators"] = projects.project_creators()
    return {**context, **extra}


@login_required
@require_POST
def project_create(request: HttpRequest) -> HttpResponse:
    if not access.may_create_projects(request.user):
        raise PermissionDenied("You may not create projects: a superuser can allow you.")
    form = NewProjectForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            project = projects.create_project(
                user=request.user,
                name=data["name"],
                scheme_name=data["scheme"],
                labels=projects.split_labels(data["labels"]),
            )
        except projects.ProjectError as error:
            form.add_error(None, f"Not created: {error}.")
        else:
            url = reverse("annotator-project-detail", args=[project.pk])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = setup_context(request, new_project_form=form)
    template = "annotator/project_list.html" + ("#new-project" if request.htmx else "")
    context["projects"] = access.projects_for(request.user)
    return render(request, template, context, status=400)


@login_required
@require_POST
def project_creators(request: HttpRequest) -> HttpResponse:
    """A superuser lets someone create projects, or stops them."""
    access.require_superuser(request.user)
    allowed = request.POST.get("allowed") == "1"
    status, notice, error = 200, "", False
    try:
        user = projects.set_project_creator(
            username=request.POST.get("username", ""), allowed=allowed
        )
    except projects.ProjectError as problem:
        status, notice, error = 400, f"Not done: {problem}.", True
    else:
        verb = "may create projects now" if allowed else "may no longer create projects"
        notice = f"{user.get_username()} {verb}."
    if not request.htmx:  # without JavaScript: back to the list, the notice flashed
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, notice)
        return redirect("annotator-project-list")
    context = setup_context(request, creators_notice=notice, creators_error=error)
    return render(request, "annotator/project_list.html#creators", context, status=status)
