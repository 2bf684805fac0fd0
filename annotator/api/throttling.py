"""Rate limiting for scripts: requests authenticated by a token, per user, in the shared cache."""

from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class TokenRateThrottle(UserRateThrottle):
    """API_RATE (e.g. "600/minute") per user for token clients; browser sessions are not limited.

    The count lives in the Django cache (Redis, or files in var/), so every web process and
    machine counts the same requests.
    """

    scope = "token"

    def get_rate(self) -> str | None:
        # Read at each request, not at import: tests and settings overrides change it.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, Token):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
