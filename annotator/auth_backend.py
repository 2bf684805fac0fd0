"""The login backend: Django's ModelBackend, with the session's user read by one hand-written
SELECT.

Every page request and every edit from the page loads its user from the session with
`User._default_manager.get(pk=...)`; building and compiling that queryset on every request cost
more CPU than the statement (rows.py). Logging in, passwords, permissions and the session's
password check (django.contrib.auth.get_user) are Django's, unchanged.
"""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model
from django.db import connection

from annotator import rows


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        pk = model._meta.pk
        if not isinstance(user_id, int) or not rows.fits_bigint(user_id):
            return super().get_user(user_id)  # not a plain id: the ORM's answer
        where = f"x.{connection.ops.quote_name(pk.column)} = %s"
        found = rows.select(model, where, [user_id])
        if not found:
            return None
        return found[0] if self.user_can_authenticate(found[0]) else None
