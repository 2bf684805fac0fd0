"""Settings for the edit benchmark's server: the production settings, plus one bench-only URL.

`bench/http_edit.py` starts `gunicorn annotator.wsgi` with DJANGO_SETTINGS_MODULE=floor_settings
and bench/ on the path, so the floor view (floor_urls.py) runs on the same server, middleware,
database and workers as the edits it is compared with. Nothing outside bench/ names these
modules: production never serves the floor.
"""

from annotator.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
