"""gunicorn's settings, read from the working folder: `gunicorn annotator.wsgi` is the production
command (Dockerfile, and CI's .ci/smoke, which only changes the address).

Command-line flags win over this file; WEB_CONCURRENCY sets the number of worker processes.
"""

import os

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Uploads below IMPORT_JOB_THRESHOLD (20 MB) are imported within the request.
timeout = 120
graceful_timeout = 30
# Recycle each worker now and then so a slow leak never grows; the jitter keeps them from
# restarting all at once.
max_requests = 20000  # about 7 minutes of a worker at full load (50 edits/s)
max_requests_jitter = 2000
accesslog = "-"  # stdout, beside the app's log
# No runtime control socket (gunicornc): it lives at one path per user, so two servers on one
# machine (CI's smoke test beside a benchmark) would take each other's.
control_socket_disable = True
