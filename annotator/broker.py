"""Is the job queue (the Celery broker) reachable? Asked by /health/ and by each worker's beat.

Redis answers a ping; the filesystem transport (`make run` without Redis) needs its folder to
exist and be writable. Both raise on failure, with the reason for the log only.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis
from django.conf import settings

TIMEOUT = 2  # seconds; a check that hangs is worse than one that fails


def check_broker() -> None:
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


def broker_reachable() -> bool:
    try:
        check_broker()
    except Exception:
        return False
    return True
