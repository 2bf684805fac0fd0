"""/health/: is this web process able to serve? For container health checks and load balancers.

Public (a health checker has no login) and cheap: one trivial query, one broker ping, one cache
round trip. The answer names each part "ok" or "error", never why: the reason (which may name
hosts) goes to the log, where operators look.

"workers" counts the Celery workers that reached the broker within WORKER_ALIVE_WITHIN seconds
(their heartbeat says so). It is reported beside the status, not in it: a web process with no
worker still serves every page, so a load balancer must not take it out; a monitor that cares
about jobs alerts on workers == 0.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from annotator.broker import check_broker
from annotator.services.jobs import ready_workers

log = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    """A round trip: job progress and sessions live in the cache. A key of its own, so that
    checks running at once in several processes never read each other's value."""
    key, value = f"health:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, 30)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
}


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    parts = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            log.exception("health check: the %s failed", name)
            parts[name] = "error"
        else:
            parts[name] = "ok"
    healthy = all(state == "ok" for state in parts.values())
    body = {"status": "ok" if healthy else "error", **parts, "workers": _workers()}
    return JsonResponse(body, status=200 if healthy else 503)


def _workers() -> int | None:
    """None when the database cannot tell (its own part says "error" then)."""
    try:
        return ready_workers()
    except Exception:
        return None
