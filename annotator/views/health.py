"""/health/: is this web process able to serve? For container health checks and load balancers.

Public (a health checker has no login) and cheap: one trivial query, one broker ping, one cache
round trip. The answer names each part "ok" or "error", never why: the reason (which may name
hosts) goes to the log, where operators look.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)
TIMEOUT = 2  # seconds; a health check that hangs is worse than one that fails


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    """The filesystem transport's folder exists and is writable; Redis answers a ping."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"{folder} is not writable")
        return
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


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
    return JsonResponse(
        {"status": "ok" if healthy else "error", **parts}, status=200 if healthy else 503
    )
