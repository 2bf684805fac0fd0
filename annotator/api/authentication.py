"""API tokens, looked up by one hand-written SELECT.

DRF's TokenAuthentication finds the token with `Token.objects.select_related("user").get(key=...)`;
building and compiling that queryset on every request cost more CPU than the statement. This
is the same statement, written once per database vendor, with the same answers: the token's
user, "Invalid token." for an unknown key, "User inactive or deleted." for an inactive user.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from annotator import prepared
from annotator.rows import Loader, load_all


@cache
def _statement(vendor: str) -> tuple[str, list[Loader]]:
    user_model = Token._meta.get_field("user").related_model
    loaders = [Loader(Token, "t"), Loader(user_model, "u")]
    sql = (
        f"SELECT {', '.join(c for loader in loaders for c in loader.columns)} "  # noqa: S608
        f"FROM {Token._meta.db_table} t JOIN {user_model._meta.db_table} u "
        f"ON u.{user_model._meta.pk.column} = t.{Token._meta.get_field('user').column} "
        f"WHERE t.{Token._meta.get_field('key').column} = %s"
    )
    return sql, loaders


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>`, as DRF's (the same header checks and messages)."""

    def authenticate_credentials(self, key: str):
        sql, loaders = _statement(connection.vendor)
        with prepared.cursor() as cursor:
            cursor.execute(sql, [key])
            found = cursor.fetchone()
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        (token, user), _rest = load_all(loaders, found)
        token.user = user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
