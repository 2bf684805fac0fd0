"""A tagger behind HTTP: any server that takes sentences of tokens and returns their tags.

The contract (also in the README): POST a JSON body {"sentences": [["token", ...], ...]}; the
answer is {"tags": [["O", "B-X", ...], ...]}, one IOB2 tag per token, in the same order.
Standard library only, no Django.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence

from annotator.nlp.scheme import TagError, parse_tag

BATCH = 100


class RemoteError(ValueError):
    """The server could not be reached or broke the contract; the message says how."""


def tag_batch(
    url: str, sentences: Sequence[Sequence[str]], *, timeout: float = 30
) -> list[list[str]]:
    body = json.dumps({"sentences": [list(s) for s in sentences]}).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is a manager's model setting
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise RemoteError(f"{url} answered HTTP {error.code}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise RemoteError(f"{url} could not be reached: {error}") from error
    except json.JSONDecodeError as error:
        raise RemoteError(f"{url} did not answer JSON") from error
    return _checked(answer, sentences, url)


def _checked(answer, sentences: Sequence[Sequence[str]], url: str) -> list[list[str]]:
    tags = answer.get("tags") if isinstance(answer, dict) else None
    if not isinstance(tags, list) or len(tags) != len(sentences):
        raise RemoteError(f"{url} must answer {{'tags': [...]}} with one list per sentence")
    for number, (row, tokens) in enumerate(zip(tags, sentences, strict=True), 1):
        if not isinstance(row, list) or len(row) != len(tokens):
            raise RemoteError(
                f"{url}: sentence {number} has {len(tokens)} tokens but not as many tags"
            )
        for tag in row:
            try:
                parse_tag(tag)
            except (TagError, TypeError) as error:
                raise RemoteError(f"{url}: sentence {number}: {error}") from error
    return tags


def tag_all(url: str, sentences: Sequence[Sequence[str]], progress=None) -> list[list[str]]:
    result: list[list[str]] = []
    for start in range(0, len(sentences), BATCH):
        result.extend(tag_batch(url, sentences[start : start + BATCH]))
        if progress:
            progress(len(result), len(sentences))
    return result
