"""Rate limiting for scripts: requests authenticated by a token, per user, in the shared cache."""

from __future__ import annotations

import contextlib

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from annotator import cache


class TokenRateThrottle(SimpleRateThrottle):
    """API_RATE (e.g. "600/minute") per user for token clients; browser sessions are not limited.

    The count lives in the Django cache (Redis, or files in var/), so every web process and
    machine counts the same requests. It is a sliding window, estimated from two counters: the
    requests of this period (minute, hour...) and of the one before, taken as spread evenly
    over it, so that "600/minute" means about 600 in any 60 seconds, not 600 at the end of one
    minute and 600 more at the start of the next. One round trip to Redis per request (DRF's
    own throttle reads and writes back the list of every request's time: two, and a list that
    grows with the rate). A refused request is not counted.
    """

    scope = "token"

    def get_rate(self) -> str | None:
        # Read at each request, not at import: tests and settings overrides change it.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, Token):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        period, self.into = divmod(self.timer(), self.duration)
        current = f"{key}:{int(period)}"
        # A period's count is read during the next one too: kept for two periods.
        counted, self.before = cache.count(
            caches[DEFAULT_CACHE_ALIAS], current, f"{key}:{int(period) - 1}", 2 * self.duration
        )
        # The previous period's part still within the last `duration` seconds, as if its
        # requests were spread evenly over it.
        if counted + self.before * (1 - self.into / self.duration) <= self.num_requests:
            return True
        with contextlib.suppress(ValueError):  # gone already (expired): nothing to take back
            caches[DEFAULT_CACHE_ALIAS].decr(current)
        self.counted = counted - 1
        return False

    def wait(self) -> float:
        """Seconds until one more request is allowed (the estimate of the requests within the
        last `duration` seconds, one more, is at most the rate); to the millisecond, so that
        rounding up to whole seconds (Retry-After) does not add one for a float's error."""
        return round(self._wait(), 3)

    def _wait(self) -> float:
        room = self.num_requests - 1 - self.counted  # left in this period
        if room >= 0 and self.before:
            # The previous period's requests fall out of the window as time goes on.
            return max(self.duration * (1 - room / self.before) - self.into, 1.0)
        # This period is full: wait for the next, where this one's count fades out in turn.
        until_next = self.duration - self.into
        if self.counted <= 0:
            return until_next
        fading = self.duration * (1 - (self.num_requests - 1) / self.counted)
        return until_next + max(fading, 0.0)
