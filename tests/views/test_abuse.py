"""The standing abuse suite: every route of annotator/urls.py and annotator/api/urls.py, sent
generated hostile input (NUL and control characters, huge and negative ids, very long strings,
deeply nested JSON, wrong types) by each kind of user: anonymous, an outsider (a member of
another project), an annotator, a reviewer and a manager.

The rules, whatever comes in: no 5xx (the test client raises on a server error, so hypothesis
shrinks it to the smallest input); no HTML error under /api/; and a refused request (4xx, or
a redirect to the login page) changes no row. Each route starts from the valid request of the
access matrix (tests/views/test_access_matrix.py) and spoils one part of it, so that the hostile
value gets past routing and permissions and reaches the view's real work.

Bounded: ABUSE_EXAMPLES examples per route (default 8), no deadline.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.views import test_access_matrix as matrix
from tests.views.test_access_matrix import API_ROUTES, ROUTES, Route, World, fingerprint

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ABUSE_EXAMPLES", "8"))
world = matrix.world  # the access matrix's fixture: two projects, people in every role

KINDS_OF_USER = {  # the five, as the access matrix's world names them
    "anonymous": "anonymous",
    "outsider": "member_of_b",
    "annotator": "annotator",
    "reviewer": "reviewer",
    "manager": "manager",
}

# --- hostile values ----------------------------------------------------------------------------

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F)
ANY_CHARACTER = st.characters(codec="utf-8")  # every code point but the surrogates
HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "%00",
            "\x1b[31mred",
            "\r\n\r\nX-Injected: 1",
            "../../../../etc/passwd",
            "<script>alert(1)</script>",
            "{{ 7|add:7 }}{% debug %}",
            "' OR 1=1 --",
            "\u202e\ufeff\u200b",
            "",
            " ",
        ]
    ),
    st.text(st.one_of(CONTROL, ANY_CHARACTER), min_size=1, max_size=30),
    st.integers(min_value=1_000, max_value=120_000).map(lambda n: "x" * n),  # very long
)
HOSTILE_NUMBERS = st.sampled_from([0, -1, -(2**31), 2**31, 2**63, 2**64, 10**30, -(10**30)])
# JSON only: types a form cannot carry, and half a UTF-16 pair.
WRONG_TYPES = st.sampled_from([None, True, False, 1.5, [], {}, [1, "a"], {"a": {"b": None}}])
JSON_ONLY_TEXT = st.sampled_from(["\ud800", "a\udfffb"])


class Raw(str):
    """JSON text sent as it is: nested too deeply for json.dumps, or not JSON at all."""


@st.composite
def nested(draw) -> Raw:
    depth = draw(st.sampled_from([40, 1_000, 100_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return Raw(opener * depth + "1" + closer * depth)


def form_values():
    return st.one_of(HOSTILE_TEXT, HOSTILE_NUMBERS.map(str))


def json_values():
    return st.one_of(HOSTILE_TEXT, JSON_ONLY_TEXT, HOSTILE_NUMBERS, WRONG_TYPES)


# --- spoiling one part of a valid request ----------------------------------------------------


@st.composite
def spoiled(draw, route: Route, keys: list[str]):
    """What to spoil: a body field (known or new), a query parameter, the id in the path, or
    (JSON routes) the whole body."""
    is_json = sends_json(route)
    where = ["query", "path"] + (["field"] if route.method != "GET" else [])
    if is_json and route.method != "GET":
        where.append("raw")
    kind = draw(st.sampled_from(where))
    name = draw(st.sampled_from(keys) if keys else st.just("x")) if keys else "x"
    if kind in ("field", "query") and draw(st.booleans()):
        name = draw(st.sampled_from(["q", "layer", "page", "next", "id", "a\x00", "x" * 300]))
    if kind == "path":
        return kind, name, draw(HOSTILE_NUMBERS.filter(lambda n: n >= 0))
    if kind == "raw":
        broken = st.sampled_from(["\x00{", "{", "[1,", "nul", "\ufeff{}"]).map(Raw)
        return kind, name, draw(st.one_of(nested(), broken))
    if kind == "field" and is_json:
        return kind, name, draw(st.one_of(json_values(), nested()))
    return kind, name, draw(form_values())


def sends_json(route: Route) -> bool:
    """API writes send JSON, but uploads (multipart files) and GETs."""
    return route.json or (route.id.startswith("api-") and "upload" not in route.id)


def with_query(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_path_id(url: str, number: int) -> str:
    """The first id in the path replaced (huge ids must not become a database error)."""
    return re.sub(r"/\d+/", f"/{number}/", url, count=1)


def send(client: Client, route: Route, world: World, role: str, spoil) -> object:
    kind, name, value = spoil
    url = route.url(world)
    data = dict(route.data(world, role))  # a copy: some routes share one dict
    if kind == "query":
        url = with_query(url, name, str(value))
    elif kind == "path":
        url = with_path_id(url, value)
    json_body = sends_json(route)
    if route.method == "GET":
        return client.get(url)
    if kind == "raw":
        return _raw(client, route, url, value)
    if json_body:
        body = dict(data)
        if kind == "field" and isinstance(value, Raw):
            body.pop(name, None)
            text = json.dumps(body)[:-1] + (", " if body else "") + f"{json.dumps(name)}: {value}}}"
            return _raw(client, route, url, text)
        if kind == "field":
            body[name] = value
        return _raw(client, route, url, json.dumps(body))
    if kind == "field":
        data[name] = value
    return client.post(url, data)


def _raw(client: Client, route: Route, url: str, text: str):
    send = client.patch if route.method == "PATCH" else client.post
    return send(url, text.encode("utf-8", "surrogatepass"), content_type="application/json")


def check(response, route: Route, world: World, role: str, before) -> None:
    status = response.status_code
    assert status < 500, status
    path = response.request["PATH_INFO"]
    if path.startswith("/api/") and status >= 400:
        assert response["Content-Type"].startswith("application/json"), (
            status,
            response["Content-Type"],
        )
    refused = status >= 400 or (
        status == 302 and "/accounts/login/" in response.get("Location", "")
    )
    if refused or role in ("anonymous", "member_of_b"):
        assert fingerprint() == before, f"a refused request ({status}) changed something"


ALL_ROUTES = [*ROUTES, *API_ROUTES]


@pytest.mark.parametrize("route", ALL_ROUTES, ids=[r.id for r in ALL_ROUTES])
def test_no_hostile_input_breaks_a_route(world, route: Route) -> None:
    if route.setup:
        route.setup(world)
    clients: dict[str, Client] = {}
    keys = sorted(route.data(world, "manager"))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same examples on every run: a failure is reproducible
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(kind=st.sampled_from(sorted(KINDS_OF_USER)), spoil=spoiled(route, keys))
    def attack(kind: str, spoil) -> None:
        role = KINDS_OF_USER[kind]
        if role not in clients:
            clients[role] = Client()
            if role != "anonymous":
                clients[role].force_login(world.users[role])
        before = fingerprint()
        response = send(clients[role], route, world, role, spoil)
        check(response, route, world, role, before)

    attack()
