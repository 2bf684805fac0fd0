"""The API's edit endpoint under gunicorn, 20 token clients: api_load.py SECONDS WORKERS PACE.

Against the 100,000-sentence database of `edits.py setup` (DATABASE_URL), as issue 7 asks:
"the edit endpoint sustains 20 concurrent clients with p95 under 100 ms and zero errors for
60 s". Each of the 20 clients is a project reviewer with its own API token (created here), a
thread with one http.client connection (reopened whenever the server closes it), and 1,000
sentences of its own. Every edit is POST /api/v1/documents/<pk>/sentences/<id>/edit/ labelling
token 0 with whichever of two labels it does not have, carrying the version of the previous
answer, so each one changes the tags and none is stale.

Two runs, each on a freshly started server after 10 warm-up edits per client:
    paced   each client edits every PACE seconds on average (uniformly 0.5 to 1.5 x PACE
            apart): 20 reviewers working at once. Judged: p95 < 100 ms and no errors.
    closed  each client sends its next edit as soon as the answer arrives: the most the
            server does. By Little's law its latency is 20 / throughput, so only errors count.
            The token rate limit (API_RATE, 600/minute: 10 edits/s per client) would answer
            429 to a client faster than that, so this run lifts it (BENCH_API_CLOSED_RATE);
            the throttle still counts every request in Redis, so its cost stays measured.

The server is the deployment's: `gunicorn annotator.wsgi` in the project folder (so
gunicorn.conf.py applies: access log, max_requests recycling), WEB_CONCURRENCY=WORKERS,
DEBUG=0, Redis as the cache (token rate limit, as in docker-compose.yml), API_RATE as set.
Only what a TLS proxy would otherwise do differs: plain HTTP on 127.0.0.1, no SSL redirect.

If the paced p95 misses (or BENCH_PROFILE=1; never with 0), edits are then timed and profiled in
process (`profile`); `api_load.py profile` does only that, on a database a run has set up.
"""

from __future__ import annotations

import cProfile
import http.client
import io
import json
import math
import os
import pstats
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import django
import psycopg
from common import ROOT, VAR, emit
from cpu import TICK, Meter, children, process_seconds
from edits import REVIEWER, Sentence, entity, plan
from load import HTTP_TIMEOUT, START_TIMEOUT, die_with_parent, free_port

CLIENTS = 20
FIRST = 60_000  # past the sentences load.py's editors work on (50,000..52,399)
POOL = 1000  # sentences per client, disjoint: a closed-loop client rarely edits one twice
WARMUP = 10  # edits per client before the clock starts
TARGET_P95_MS = 100
LATE_MS = 10  # a paced send this far behind its time means the previous answer was slow
BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s"
PROFILE_EDITS = 200  # in-process edits timed, then as many under cProfile
CLOSED_RATE = os.environ.get("BENCH_API_CLOSED_RATE", "1000000/minute")
REDIS_URL = os.environ.get("BENCH_API_REDIS_URL", "redis://127.0.0.1:6379/12")


def percentile(ordered: list[float], q: int) -> float:
    """Nearest rank, as common.p95."""
    return ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)]


def tokens(document_pk: int) -> list[str]:
    """One reviewer and one API token per client (kept: the database is rebuilt by setup)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from annotator.models import Document, Membership

    project = Document.objects.get(pk=document_pk).project
    users = get_user_model().objects
    keys = []
    for i in range(CLIENTS):
        name = f"apiclient{i}"
        user = users.filter(username=name).first() or users.create_user(name, f"{name}@x.test")
        Membership.objects.get_or_create(project=project, user=user, role=REVIEWER)
        keys.append(Token.objects.get_or_create(user=user)[0].key)
    return keys


def redis_cache() -> tuple[str, int | None]:
    """Empty the bench's Redis database (no rate-limit counts from a previous run): its URL and
    the server's pid, or ("", None) without Redis (the cache is then files in var/)."""
    import redis

    try:
        cache = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        cache.flushdb()
        return REDIS_URL, int(cache.info("server")["process_id"])
    except redis.RedisError as error:
        print(f"bench: no Redis at {REDIS_URL} ({error}); cache in files", file=sys.stderr)
        return "", None


def start_server(port: int, workers: int, cache: str, rate: str, log: Path) -> subprocess.Popen:
    """`gunicorn annotator.wsgi` as the web container runs it, on 127.0.0.1:port."""
    env = dict(
        os.environ,
        API_RATE=rate,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY=str(workers),
        REDIS_URL=cache,
        LOG_LEVEL="INFO",  # .env.example's
        SECURE_SSL_REDIRECT="0",  # no TLS proxy in front
        SECURE_COOKIES="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-not-secret",
    )
    command = [str(Path(sys.executable).parent / "gunicorn"), "annotator.wsgi",
               "--bind", f"127.0.0.1:{port}"]  # fmt: skip
    with log.open("ab") as out:  # the access log: one line per request, as in production
        server = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=out, stderr=out,
            preexec_fn=die_with_parent,  # noqa: PLW1509
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited with status {server.returncode}; see {log}")
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"bench: gunicorn did not listen within {START_TIMEOUT} s")


def server_seconds(master: int) -> float:
    """gunicorn's CPU so far: the master, its live workers, and the workers it has reaped."""
    try:
        fields = Path(f"/proc/{master}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    reaped = (int(fields[13]) + int(fields[14])) / TICK  # cutime, cstime
    return reaped + process_seconds(children(master))


class WindowMeter(Meter):
    """cpu.Meter for a window in which processes come and go.

    gunicorn replaces a worker after ~2,000 requests (max_requests in gunicorn.conf.py), and
    the worker's PostgreSQL backend goes with it: a fixed list of pids would lose their CPU.
    The server's includes the reaped workers'; each backend counts as of its last sample,
    taken every second, so a backend that ends loses at most its last second.
    """

    def __init__(self, master: int, cache: int | None) -> None:
        super().__init__({"clients": [os.getpid()], "cache": [cache] if cache else []})
        self.master = master
        self.backends: dict[int, float] = {}
        self.workers: set[int] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        url = os.environ.get("DATABASE_URL", "")
        self.db = psycopg.connect(url, autocommit=True) if url.startswith("postgres") else None

    def sample(self) -> None:
        with self.lock:
            self.workers.update(set(children(self.master)) - {self.master})
            if self.db is None:
                return
            for (pid,) in self.db.execute(BACKENDS, [self.db.info.backend_pid]).fetchall():
                self.backends[pid] = process_seconds([pid]) or self.backends.get(pid, 0.0)

    def read(self) -> dict[str, float]:
        self.sample()
        values = super().read()
        values["server"] = server_seconds(self.master)
        values["database"] = sum(self.backends.values())
        return values

    def start(self) -> None:
        super().start()
        threading.Thread(target=self._sampler, daemon=True).start()

    def _sampler(self) -> None:
        while not self.stopping.wait(1):
            self.sample()

    def stop(self) -> dict[str, float]:
        self.stopping.set()
        used = super().stop()
        if self.db is not None:
            self.db.close()
        return used


class Client:
    """One script with its token, its connection and its own sentences."""

    def __init__(self, port: int, setup: dict, i: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        self.headers = {
            "Authorization": f"Token {setup['tokens'][i]}",
            "Accept": "application/json",
        }
        self.base = f"/api/v1/documents/{setup['document']}/sentences/"
        self.pair = setup["pair"]
        self.sentences: list[Sentence] = setup["sentences"][i * POOL : (i + 1) * POOL]
        self.random = random.Random(i)  # the same paced schedule every run
        self.reset()

    def reset(self) -> None:
        self.times: list[float] = []
        self.slow: list[float] = []  # when (seconds into the window) an edit took over 100 ms
        self.errors: list[str] = []
        self.unchanged = self.sent = self.connections = 0
        self.late: list[float] = []

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connections += self.conn.sock is None  # the server closed it: http.client reopens
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def edit(self, i: int) -> None:
        sentence = self.sentences[i % len(self.sentences)]
        label = sentence.form(self.pair)["label"]
        body = json.dumps({"layer": "gold", "version": sentence.version, "op": "label",
                           "start": 0, "end": 1, "label": label})  # fmt: skip
        self.sent += 1
        start = time.perf_counter()
        try:
            status, content = self.request("POST", f"{self.base}{sentence.pk}/edit/", body)
        except (OSError, http.client.HTTPException) as error:
            self.errors.append(type(error).__name__)
            self.conn.close()
            self.resync(sentence)
            return
        self.times.append((time.perf_counter() - start) * 1000)
        if self.times[-1] > TARGET_P95_MS:
            self.slow.append(start)
        if status != 200:
            self.errors.append(str(status))
            self.resync(sentence)
            return
        row = json.loads(content)
        self.unchanged += row["version"] != sentence.version + 1 or entity(row["tags"][0]) != label
        sentence.version, sentence.current = row["version"], entity(row["tags"][0])

    def resync(self, sentence: Sentence) -> None:
        """After an error, read the sentence back so one failure does not make the next stale."""
        try:
            status, content = self.request("GET", f"{self.base}{sentence.pk}/?layer=gold")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return
        if status == 200:
            row = json.loads(content)
            sentence.version, sentence.current = row["version"], entity(row["tags"][0])

    def closed(self, end: float) -> None:
        i = WARMUP
        while time.perf_counter() < end:
            self.edit(i)
            i += 1

    def paced(self, start: float, end: float, pace: float, phase: float) -> None:
        due, i = start + phase, WARMUP
        while due < end:
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif wait < -LATE_MS / 1000:
                self.late.append(-wait * 1000)
            self.edit(i)
            i += 1
            due += pace * self.random.uniform(0.5, 1.5)

    def run(self, ready: threading.Barrier, clock: dict, pace: float | None, phase: float) -> None:
        for i in range(WARMUP):
            self.edit(i)
        self.reset()
        ready.wait()
        if pace is None:
            self.closed(clock["end"])
        else:
            self.paced(clock["start"], clock["end"], pace, phase)
        self.conn.close()


def window(
    clients: list[Client], pids: tuple[int, int | None], seconds: float, pace: float | None
) -> dict:
    """Warm every client up, then run them all for `seconds`; elapsed time and CPU used."""
    clock: dict[str, float] = {}
    meters: list[WindowMeter] = []

    def start_clock() -> None:  # once, when every client has warmed up, before release
        meters.append(WindowMeter(*pids))
        meters[0].start()
        clock["start"] = time.perf_counter()
        clock["end"] = clock["start"] + seconds

    ready = threading.Barrier(len(clients) + 1, action=start_clock)
    threads = [
        threading.Thread(target=c.run, args=(ready, clock, pace, i * (pace or 0) / len(clients)))
        for i, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    ready.wait(timeout=WARMUP * len(clients) * HTTP_TIMEOUT)
    for thread in threads:
        thread.join(seconds + 3 * HTTP_TIMEOUT)
    elapsed = time.perf_counter() - clock["start"]
    used = meters[0].stop()
    return {"start": clock["start"], "elapsed": elapsed, "used": used,
            "workers_seen": len(meters[0].workers)}  # fmt: skip


def summary(clients: list[Client], measured: dict, workers: int, pace: float | None) -> dict:
    times = sorted(ms for c in clients for ms in c.times)
    errors = Counter(error for c in clients for error in c.errors)
    sent = sum(c.sent for c in clients)
    ok = sent - sum(errors.values())
    elapsed, used = measured["elapsed"], measured["used"]
    late = [ms for c in clients for ms in c.late]
    slices = Counter(int((at - measured["start"]) // 10) * 10 for c in clients for at in c.slow)
    return {
        "mode": "closed" if pace is None else "paced",
        "seconds": elapsed,
        "offered_per_s": None if pace is None else len(clients) / pace,
        "sent": sent,
        "ok": ok,
        "requests_per_s": ok / elapsed,
        "median_ms": statistics.median(times) if times else None,
        "p95_ms": percentile(times, 95) if times else None,
        "p99_ms": percentile(times, 99) if times else None,
        "max_ms": times[-1] if times else None,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common()),
        "unchanged": sum(c.unchanged for c in clients),
        "late_sends": len(late),
        "late_max_ms": max(late, default=0.0),
        "over_100ms_by_10s": {f"{t}s": slices[t] for t in sorted(slices)},  # bursts or steady?
        "connections": sum(c.connections for c in clients),
        "worker_restarts": max(0, measured["workers_seen"] - workers),
        "cpu_ms_per_edit": {k: 1000 * v / max(ok, 1) for k, v in used.items()},
        "cores_busy": {k: v / elapsed for k, v in used.items()},
        "load_average": os.getloadavg(),
        "per_client": [c.sent for c in clients],
    }


def measure_run(seconds: float, workers: int, pace: float | None, setup: dict) -> dict:
    """One run on a freshly started server (and an empty cache)."""
    from django.conf import settings

    rate = (
        CLOSED_RATE if pace is None else settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]
    )
    cache, cache_pid = redis_cache()
    port = free_port()
    log = VAR / f"api-gunicorn-{setup['label']}.log"
    server = start_server(port, workers, cache, rate, log)
    try:
        clients = [Client(port, setup, i) for i in range(CLIENTS)]
        load_before = os.getloadavg()
        measured = window(clients, (server.pid, cache_pid), seconds, pace)
    finally:
        server.terminate()
        server.wait(60)
    out = summary(clients, measured, workers, pace)
    out["load_average_before"] = load_before
    out["cache"] = "Redis" if cache else "files (no Redis)"
    out["api_rate"] = rate
    return out


def measure(seconds: float, workers: int, pace: float) -> dict:
    from django.db import connection, connections

    document, pair, sentences = plan(FIRST, CLIENTS * POOL)
    keys = tokens(document)
    label = connection.vendor  # sqlite, postgresql
    connections.close_all()
    log = VAR / f"api-gunicorn-{label}.log"
    log.unlink(missing_ok=True)
    setup = {"document": document, "pair": pair, "sentences": sentences, "tokens": keys,
             "label": label}  # fmt: skip
    paced = measure_run(seconds, workers, pace, setup)  # first, on rows no run has touched yet
    closed = measure_run(seconds, workers, None, setup)
    wanted = os.environ.get("BENCH_PROFILE")
    slow = (paced["p95_ms"] or float("inf")) >= TARGET_P95_MS
    return {
        "clients": CLIENTS,
        "workers": workers,
        "pace_s": pace,
        "window_s": seconds,
        "warmup": WARMUP,
        "target_p95_ms": TARGET_P95_MS,
        "paced": paced,
        "closed": closed,
        "profile": profile(setup) if wanted == "1" or (wanted != "0" and slow) else None,
    }


class QueryTimer:
    """A connection.execute_wrapper: how many statements, and the time spent executing them."""

    def __init__(self) -> None:
        self.seconds, self.statements = 0.0, []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.statements.append(sql)


def edit_in_process(client, setup: dict, sentence: Sentence) -> None:
    label = sentence.form(setup["pair"])["label"]
    body = {"layer": "gold", "version": sentence.version, "op": "label", "start": 0, "end": 1,
            "label": label}  # fmt: skip
    path = f"/api/v1/documents/{setup['document']}/sentences/{sentence.pk}/edit/"
    response = client.post(path, body, content_type="application/json", secure=True)
    if response.status_code != 200:
        raise SystemExit(f"bench: in-process edit answered {response.status_code}")
    row = response.json()
    sentence.version, sentence.current = row["version"], entity(row["tags"][0])


def profile(setup: dict) -> dict:
    """Where an edit's time goes, in process (django.test.Client, the first client's token and
    sentences, the same database and cache): PROFILE_EDITS edits timed with their SQL, then as
    many under cProfile, written to var/bench/profile-api-<db>.txt."""
    from django.db import connection
    from django.test import Client as TestClient

    client = TestClient(headers={"Authorization": f"Token {setup['tokens'][0]}"})
    sentences = iter(setup["sentences"][:POOL])
    for _ in range(WARMUP):
        edit_in_process(client, setup, next(sentences))
    walls, sql = [], []
    for _ in range(PROFILE_EDITS):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            edit_in_process(client, setup, next(sentences))
            walls.append((time.perf_counter() - start) * 1000)
        sql.append(timer.seconds * 1000)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILE_EDITS):
        edit_in_process(client, setup, next(sentences))
    profiler.disable()
    text = io.StringIO()
    text.write("The statements of one edit:\n" + "\n".join(timer.statements) + "\n\n")
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    (VAR / f"profile-api-{setup['label']}.txt").write_text(text.getvalue())
    return {
        "edits": PROFILE_EDITS,
        "median_ms": statistics.median(walls),
        "sql_median_ms": statistics.median(sql),
        "statements": len(timer.statements),
        "top": [line for line in text.getvalue().splitlines() if line.strip()][:120],
    }


def main() -> None:
    cache, _ = redis_cache()
    os.environ["REDIS_URL"] = cache  # the server's cache, for the in-process profile too
    django.setup()
    if sys.argv[1] == "profile":  # alone, after a run: api_load.py profile
        document, pair, sentences = plan(FIRST, CLIENTS * POOL)
        from django.db import connection

        setup = {"document": document, "pair": pair, "sentences": sentences,
                 "tokens": tokens(document), "label": connection.vendor}  # fmt: skip
        emit(profile(setup))
        return
    emit(measure(float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])))


if __name__ == "__main__":
    main()
