"""Small helpers for the review-page browser tests: signing in, reading tags, dragging, shots."""

from __future__ import annotations

import re
import time
from pathlib import Path

from django.conf import settings
from django.test import Client

from annotator.models import GOLD, IMPORTED, Document, Membership, Project, SentenceTags, TagLayer
from tests.conftest import import_files

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEMO = REPO / "annotator" / "demo" / "rnn-wikipedia.conll"


def current_class() -> re.Pattern:
    return re.compile(r"(^|\s)current(\s|$)")


def has_class(name: str) -> re.Pattern:
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def project_with(name: str, path: Path, *users, role=Membership.Role.MANAGER) -> Project:
    """Import one file into a new project whose members are `users`."""
    project = import_files(name, path).project
    for user in users:
        Membership.objects.create(project=project, user=user, role=role)
    return project


def sign_in(context, live_server_url: str, user) -> None:
    """Give a browser context the session of `user` (Django's own login, without the form)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": cookie.value,
                "url": live_server_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )


def sentence(page, sentence_id: int):
    return page.locator(f"#sentence-{sentence_id}")


def page_tags(page, sentence_id: int) -> list[str]:
    """The BIO tags the page renders for a sentence (hidden unless raw=1, but in the DOM)."""
    return sentence(page, sentence_id).locator(".token .tag").all_text_contents()


def row(document: Document, sentence_id: int, layer: str = GOLD) -> SentenceTags:
    return SentenceTags.objects.get(
        layer__document=document, layer__name=layer, sentence_id=sentence_id
    )


def gold_tags(document: Document, sentence_id: int) -> list[str]:
    return row(document, sentence_id).tags


def imported_tags(document: Document, sentence_id: int) -> list[str]:
    return row(document, sentence_id, IMPORTED).tags


def layer(document: Document, name: str = GOLD) -> TagLayer:
    return TagLayer.objects.get(document=document, name=name)


def label_key(page, label: str) -> str:
    """The shortcut the palette shows for a label."""
    key = page.locator(f".palette [data-label={label}] kbd").inner_text().strip()
    assert key, f"the palette shows no key for {label}"
    return key


def token(page, sentence_id: int, index: int):
    return sentence(page, sentence_id).locator(f".token[data-i='{index}']")


def drag(page, sentence_id: int, start: int, end: int) -> None:
    """Press the mouse on one token, move over the tokens up to another, release."""
    first = token(page, sentence_id, start)
    first.scroll_into_view_if_needed()
    box = first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for index in range(start + 1, end + 1):
        box = token(page, sentence_id, index).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()


def selected_indexes(page, sentence_id: int) -> list[int]:
    values = (
        sentence(page, sentence_id)
        .locator(".token.selected")
        .evaluate_all("els => els.map(el => Number(el.dataset.i))")
    )
    return list(values)


def span_indexes(page, sentence_id: int, label: str) -> list[list[int]]:
    """Token indexes of each rendered span with this label."""
    return (
        sentence(page, sentence_id)
        .locator(f".span[title='{label}']")
        .evaluate_all(
            "spans => spans.map(s => Array.from(s.querySelectorAll('.token'), "
            "t => Number(t.dataset.i)))"
        )
    )


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def wait_until(page, script: str, arg=None, timeout: float = 15.0) -> None:
    """Poll a script until it is truthy. Playwright's wait_for_function re-evaluates its
    predicate with eval() inside the page, which the app's Content-Security-Policy forbids;
    page.evaluate goes through the DevTools protocol instead."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {script}")
        page.wait_for_timeout(50)
