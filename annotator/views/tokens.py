"""The API token page: create (shown once), replace or revoke your token for scripts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

TEMPLATE = "annotator/token.html"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_token(request: HttpRequest) -> HttpResponse:
    """GET: whether you have a token. POST create: a new one (replacing the old), whose key
    this answer shows once; POST revoke: scripts using it get 401 from then on."""
    token = Token.objects.filter(user=request.user).first()
    if request.method == "GET":
        return render(request, TEMPLATE, {"token": token})
    if token is not None:
        token.delete()
    if request.POST.get("action") == "revoke":
        if token is not None:
            messages.success(request, "Token revoked: scripts using it are refused from now on.")
        return redirect("annotator-account-token")
    token = Token.objects.create(user=request.user)
    return render(request, TEMPLATE, {"token": token, "key": token.key})
