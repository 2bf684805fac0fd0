"""Eight editors at once against gunicorn: load.py SECONDS WORKERS.

Starts `gunicorn annotator.wsgi:application` on a free port with production settings and the
database in DATABASE_URL (set up by `edits.py setup`), logs each editor in through the login
form, warms up, then lets every editor edit its own sentences for SECONDS. The clients are
threads using http.client, one connection each (kept alive where the server allows it).
"""

from __future__ import annotations

import ctypes
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import django
import psycopg
from common import EDITOR_PASSWORD, EDITORS, ROOT, emit
from cpu import Meter, children
from edits import LOAD_FIRST, Sentence, editor_name, p95, plan

POOL = 300  # sentences per editor, disjoint between editors
WARMUP = 10  # edits per editor before the clock starts
HTTP_TIMEOUT = 10
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """If this process is killed (say by run.py's timeout), gunicorn gets SIGTERM too."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def database_pids() -> list[int]:
    """The PostgreSQL backends serving the bench database (none for SQLite)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return []
    with psycopg.connect(url) as db:
        sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s"
        return [pid for (pid,) in db.execute(sql, [db.info.backend_pid])]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = dict(os.environ, DEBUG="0", ALLOWED_HOSTS="127.0.0.1", SECURE_COOKIES="0",
               SECURE_SSL_REDIRECT="0",
               LOG_LEVEL="WARNING", SECRET_KEY="bench")  # fmt: skip  # noqa: S106
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "annotator.wsgi:application", "-b", f"127.0.0.1:{port}",
               "-w", str(workers), "--threads", "1", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, preexec_fn=die_with_parent)  # noqa: PLW1509
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited with status {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"bench: gunicorn did not listen within {START_TIMEOUT} s")


class Editor:
    """One logged-in browser: a connection, its cookies, and its own sentences."""

    def __init__(
        self, port: int, name: str, url: str, pair: tuple[str, str], sentences: list[Sentence]
    ) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.name, self.url, self.pair, self.sentences = name, url, pair, sentences
        self.times: list[float] = []
        self.errors: list[str] = []
        self.unchanged = 0
        self.done = 0

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["HX-Request"] = "true"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.update({k: m.value for k, m in SimpleCookie(header).items()})
        return response.status, content

    def login(self) -> None:
        self.request("GET", "/accounts/login/")
        form = {"username": self.name, "password": EDITOR_PASSWORD,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}  # fmt: skip
        status, _ = self.request("POST", "/accounts/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"bench: {self.name} could not log in (status {status})")

    def edit(self, i: int) -> None:
        sentence = self.sentences[i % len(self.sentences)]
        form = sentence.form(self.pair)
        start = time.perf_counter()
        try:
            status, body = self.request("POST", self.url, form)
        except (OSError, http.client.HTTPException) as error:
            self.errors.append(type(error).__name__)
            self.conn.close()
            return
        self.times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            self.errors.append(str(status))
            return
        self.unchanged += not sentence.advance(form, body)

    def run(self, ready: threading.Barrier, clock: dict) -> None:
        for i in range(WARMUP):
            self.edit(i)
        self.times, self.errors, self.unchanged = [], [], 0
        ready.wait()
        i = WARMUP
        while time.perf_counter() < clock["end"]:
            self.edit(i)
            i += 1
        self.done = i - WARMUP


def measure(seconds: float, workers: int) -> dict:
    from django.db import connections
    from django.urls import reverse

    document, pair, sentences = plan(LOAD_FIRST, EDITORS * POOL)
    connections.close_all()
    url = reverse("annotator-sentence-edit", kwargs={"pk": document})
    port = free_port()
    server = start_server(port, workers)
    try:
        editors = [
            Editor(port, editor_name(i), url, pair, sentences[i * POOL : (i + 1) * POOL])
            for i in range(EDITORS)
        ]
        for editor in editors:
            editor.login()
        clock: dict[str, float] = {}
        meter: list[Meter] = []

        def start_clock() -> None:  # runs once, when everyone has warmed up, before release
            groups = {"server": children(server.pid), "database": database_pids()}
            meter.append(Meter({**groups, "clients": [os.getpid()]}))
            meter[0].start()
            clock["start"] = time.perf_counter()
            clock["end"] = clock["start"] + seconds

        ready = threading.Barrier(EDITORS + 1, action=start_clock)
        threads = [threading.Thread(target=e.run, args=(ready, clock)) for e in editors]
        for thread in threads:
            thread.start()
        ready.wait(timeout=WARMUP * EDITORS * HTTP_TIMEOUT)
        for thread in threads:
            thread.join(seconds + 2 * HTTP_TIMEOUT)
        elapsed = time.perf_counter() - clock["start"]
        used = meter[0].stop()
    finally:
        server.terminate()
        server.wait(10)
    times = [ms for editor in editors for ms in editor.times]
    errors = [error for editor in editors for error in editor.errors]
    edits = sum(editor.done for editor in editors)
    return {
        "seconds": elapsed,
        "workers": workers,
        "editors": EDITORS,
        "edits": edits,
        "edits_per_s": (edits - len(errors)) / elapsed,
        "median_ms": statistics.median(times) if times else None,
        "p95_ms": p95(times) if times else None,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "unchanged": sum(editor.unchanged for editor in editors),
        "cpu_ms_per_edit": {k: 1000 * v / max(edits, 1) for k, v in used.items()},
        "cores_busy": {k: v / elapsed for k, v in used.items()},
        "load_average": os.getloadavg()[0],
        "per_editor": [editor.done for editor in editors],
    }


def main() -> None:
    django.setup()
    emit(measure(float(sys.argv[1]), int(sys.argv[2])))


if __name__ == "__main__":
    main()
