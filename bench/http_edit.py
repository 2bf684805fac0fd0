"""One edit over HTTP, against its floor: http_edit.py SECONDS WORKERS.

Issue 14's comparison with doccano: gunicorn (`annotator.wsgi` as deployed, gunicorn.conf.py,
WEB_CONCURRENCY=WORKERS sync workers, DEBUG=0, Redis as the cache) on the 100,000-sentence
database of `edits.py setup`, clients over HTTP (http.client) with API tokens. The server runs
with bench/floor_settings.py: the production settings plus one bench-only URL, the *floor*
(floor_urls.py: a bare Django view doing the same one-row UPDATE and one history INSERT, nothing
else). Both are measured the same way, alternating:

    sequential  one client, one edit after another (EDITS timed after WARMUP), p50 and p95
    eight       8 clients at once, each sending its next edit when the answer comes (SECONDS)

Our edit is POST /api/v1/documents/<pk>/sentences/<id>/edit/ labelling token 0 with whichever of
two labels it does not have, with the version of the previous answer (as api_load.py). The
token rate limit is lifted (every request still counts in Redis), so a fast client is not
answered 429. Also counted, in process: the SQL statements of one edit by the API and by the
page (django.test.Client, as edits.py), as Django counts them (BEGIN and COMMIT included).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import django
from api_load import CLOSED_RATE, percentile, redis_cache, start_server, tokens
from common import VAR, emit
from cpu import Meter, children
from edits import REVIEWER, entity, plan
from load import HTTP_TIMEOUT, free_port

CLIENTS = 8
FIRST = 84_000  # past the rows load.py (50,000..) and api_load.py (60,000..80,000) edit
POOL = 500  # sentences per client and kind, disjoint
EDITS, WARMUP = 400, 40  # sequential
CLIENT_WARMUP = 10
HERE = Path(__file__).resolve().parent


class Row:
    """A gold row a client edits: what our edit and the floor send, and what came back."""

    def __init__(self, pk: int, sentence: int, layer: int, version: int, tags: list[str]) -> None:
        self.pk, self.sentence, self.layer = pk, sentence, layer
        self.version, self.tags = version, tags

    def relabelled(self, pair: tuple[str, str]) -> tuple[str, list[str]]:
        """Token 0 with whichever of the two labels it does not have."""
        label = pair[1] if entity(self.tags[0]) == pair[0] else pair[0]
        return label, [f"B-{label}", *self.tags[1:]]


class Editor:
    """One client: a connection, a token, its rows, and either our edit or the floor."""

    def __init__(self, port: int, setup: dict, i: int, floor: bool) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
        self.headers = {"Authorization": f"Token {setup['tokens'][i]}",
                        "Content-Type": "application/json"}  # fmt: skip
        self.document, self.pair, self.user = setup["document"], setup["pair"], setup["users"][i]
        rows = setup["floor" if floor else "ours"]
        self.rows: list[Row] = rows[i * POOL : (i + 1) * POOL]
        self.floor, self.i = floor, 0
        self.times: list[float] = []
        self.errors: list[str] = []
        self.unchanged = 0

    def edit(self) -> None:
        row = self.rows[self.i % len(self.rows)]
        self.i += 1
        label, tags = row.relabelled(self.pair)
        if self.floor:
            path = f"/bench/floor/{row.pk}/"
            body = {"layer": row.layer, "sentence": row.sentence, "user": self.user,
                    "version": row.version, "old_tags": row.tags, "tags": tags}  # fmt: skip
        else:
            path = f"/api/v1/documents/{self.document}/sentences/{row.sentence}/edit/"
            body = {"layer": "gold", "version": row.version, "op": "label", "start": 0,
                    "end": 1, "label": label}  # fmt: skip
        start = time.perf_counter()
        try:
            self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.errors.append(type(error).__name__)
            self.conn.close()
            return
        self.times.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            self.errors.append(str(response.status))
            return
        answer = json.loads(content)
        self.unchanged += answer["version"] != row.version + 1 or answer["tags"][0] != tags[0]
        row.version, row.tags = answer["version"], answer["tags"]

    def reset(self) -> None:
        self.times, self.errors, self.unchanged = [], [], 0


def rows_from(first: int, count: int) -> list[Row]:
    from annotator.models import GOLD, SentenceTags

    found = (
        SentenceTags.objects.filter(layer__name=GOLD, sentence__position__gte=first,
                                    sentence__position__lt=first + count)
        .order_by("sentence__position")
        .values_list("pk", "sentence_id", "layer_id", "version", "tags")
    )  # fmt: skip
    return [Row(*values) for values in found]


def figures(editors: list[Editor], seconds: float, used: dict, server: str) -> dict:
    times = sorted(ms for e in editors for ms in e.times)
    errors = [error for e in editors for error in e.errors]
    done = len(times) - len(errors)
    return {
        "edits": len(times),
        "seconds": seconds,
        "per_s": done / seconds,
        "median_ms": statistics.median(times) if times else None,
        "p95_ms": percentile(times, 95) if times else None,
        "p99_ms": percentile(times, 99) if times else None,
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "unchanged": sum(e.unchanged for e in editors),
        "server_cpu_ms": 1000 * used[server] / max(len(times), 1),
        "other_cores": used["other"] / seconds,
    }


def sequential(port: int, setup: dict, floor: bool, meter_pids: dict) -> dict:
    editor = Editor(port, setup, 0, floor)
    for _ in range(WARMUP):
        editor.edit()
    editor.reset()
    meter = Meter({"server": children(meter_pids["server"]), "clients": [os.getpid()]})
    meter.start()
    start = time.perf_counter()
    for _ in range(EDITS):
        editor.edit()
    elapsed = time.perf_counter() - start
    return figures([editor], elapsed, meter.stop(), "server")


def eight(port: int, setup: dict, floor: bool, seconds: float, meter_pids: dict) -> dict:
    editors = [Editor(port, setup, i, floor) for i in range(CLIENTS)]
    clock: dict[str, float] = {}
    meters: list[Meter] = []

    def start_clock() -> None:
        meters.append(Meter({"server": children(meter_pids["server"]), "clients": [os.getpid()]}))
        meters[0].start()
        clock["start"] = time.perf_counter()
        clock["end"] = clock["start"] + seconds

    def run(editor: Editor) -> None:
        for _ in range(CLIENT_WARMUP):
            editor.edit()
        editor.reset()
        ready.wait()
        while time.perf_counter() < clock["end"]:
            editor.edit()

    ready = threading.Barrier(CLIENTS + 1, action=start_clock)
    threads = [threading.Thread(target=run, args=(e,)) for e in editors]
    for thread in threads:
        thread.start()
    ready.wait(timeout=CLIENT_WARMUP * CLIENTS * HTTP_TIMEOUT)
    for thread in threads:
        thread.join(seconds + 2 * HTTP_TIMEOUT)
    elapsed = time.perf_counter() - clock["start"]
    return figures(editors, elapsed, meters[0].stop(), "server")


def statements() -> dict:
    """SQL statements of one edit, in process, by the API and by the page (a reviewer, gold)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from rest_framework.authtoken.models import Token

    from annotator.models import Membership

    document, pair, sentences = plan(FIRST + 2 * CLIENTS * POOL, 4)
    member = Membership.objects.filter(role=REVIEWER).select_related("user").first()
    token = Token.objects.get_or_create(user=member.user)[0].key
    counts = {}
    for way, sentence in (("api", sentences[0]), ("page", sentences[1])):
        if way == "api":
            client = Client(headers={"Authorization": f"Token {token}"})
            url = f"/api/v1/documents/{document}/sentences/{sentence.pk}/edit/"
        else:
            client = Client(headers={"HX-Request": "true"})
            client.force_login(member.user)
            url = reverse("annotator-sentence-edit", kwargs={"pk": document})
        for _ in range(2):  # the second is counted: the session is read, the cache warm
            form = sentence.form(pair)
            fields = {**form, "version": int(form["version"]), "start": 0, "end": 1}
            with CaptureQueriesContext(connection) as captured:
                if way == "api":
                    fields.pop("sentence")
                    response = client.post(url, fields, content_type="application/json")
                else:
                    response = client.post(url, form)
            if response.status_code != 200:
                raise SystemExit(f"bench: {way} edit answered {response.status_code}")
            sentence.version += 1
            sentence.current = form["label"]
        counts[way] = [q["sql"][:120] for q in captured]
    return counts


def measure(seconds: float, workers: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connections

    document, pair, _ = plan(FIRST, 1)
    keys = tokens(document)[:CLIENTS]
    names = [f"apiclient{i}" for i in range(CLIENTS)]
    users = dict(get_user_model().objects.filter(username__in=names).values_list("username", "pk"))
    setup = {"document": document, "pair": pair, "tokens": keys,
             "users": [users[name] for name in names],
             "ours": rows_from(FIRST, CLIENTS * POOL),
             "floor": rows_from(FIRST + CLIENTS * POOL, CLIENTS * POOL)}  # fmt: skip
    counted = statements()
    connections.close_all()
    cache, _ = redis_cache()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="floor_settings",
        PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
    )
    port = free_port()
    log = VAR / "http-edit-gunicorn.log"
    log.unlink(missing_ok=True)
    server = start_server(port, workers, cache, CLOSED_RATE, log)
    pids = {"server": server.pid}
    out: dict = {"workers": workers, "clients": CLIENTS, "window_s": seconds,
                 "load_before": os.getloadavg()}  # fmt: skip
    try:
        for kind, floor in (("ours", False), ("floor", True)):
            out[f"{kind}_sequential"] = sequential(port, setup, floor, pids)
        for kind, floor in (("ours", False), ("floor", True)):
            out[f"{kind}_eight"] = eight(port, setup, floor, seconds, pids)
    finally:
        server.terminate()
        server.wait(60)
    out["statements"] = counted
    out["load_after"] = os.getloadavg()
    out["cache"] = "Redis" if cache else "files (no Redis)"
    return out


def main() -> None:
    cache, _ = redis_cache()
    os.environ["REDIS_URL"] = cache
    django.setup()
    emit(measure(float(sys.argv[1]), int(sys.argv[2])))


if __name__ == "__main__":
    main()
