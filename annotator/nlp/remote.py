"""A tagger behind HTTP: any server that takes sentences of tokens and returns their tags.

The contract (also in the README): POST a JSON body {"sentences": [["token", ...], ...]}; the
answer is {"tags": [["O", "B-X", ...], ...]}, one IOB2 tag per token, in the same order.

Only servers on the administrator's allow-list are called (remote_hosts.py), at the address
that was checked, and no redirect is followed. Errors say what went wrong in our words, never
what the far side sent or which network error it caused (that would let whoever registers a
model probe what listens where); the details go to the log. Standard library only, no Django.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
from collections.abc import Sequence

from annotator.nlp.remote_hosts import Rule, Target, check_url
from annotator.nlp.scheme import TagError, parse_tag

BATCH = 100
LARGEST_ANSWER = 16 * 1024 * 1024  # bytes; 100 sentences of tags are far smaller
log = logging.getLogger("annotator.remote")


class RemoteError(ValueError):
    """The server could not be reached or broke the contract; the message says how."""


class _Connection(http.client.HTTPConnection):
    """HTTP to the checked address, whatever the name resolves to by now."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _TLSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is still checked against the name."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address
        self.tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def tag_batch(
    url: str, sentences: Sequence[Sequence[str]], *, allowed: list[Rule], timeout: float = 30
) -> list[list[str]]:
    """Tags for up to BATCH sentences. NotAllowed for a URL off the list, RemoteError else."""
    target = check_url(url, allowed)
    body = json.dumps({"sentences": [list(s) for s in sentences]}).encode()
    answer = _post(target, body, timeout, url)
    try:
        data = json.loads(answer)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        log.warning("remote model %s answered no JSON: %r", url, answer[:200])
        raise RemoteError("the model server did not answer as expected (not JSON)") from error
    return _checked(data, sentences, url)


def _post(target: Target, body: bytes, timeout: float, url: str) -> bytes:
    kind = _TLSConnection if target.scheme == "https" else _Connection
    connection = kind(target, timeout)
    try:
        connection.request(
            "POST", target.path, body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        if response.status != 200:  # a redirect too: it is not followed
            log.warning("remote model %s answered HTTP %s", url, response.status)
            raise RemoteError(
                f"the model server did not answer as expected (HTTP {response.status})"
            )
        answer = response.read(LARGEST_ANSWER + 1)
    except TimeoutError as error:
        log.warning("remote model %s timed out: %s", url, error)
        raise RemoteError(f"the model server did not answer within {timeout:g} s") from error
    except (OSError, http.client.HTTPException) as error:
        # One message for a refused connection, a closed one and a server that speaks no HTTP:
        # telling them apart would tell what listens on that port.
        log.warning("remote model %s could not be reached: %r", url, error)
        raise RemoteError(
            "the model server could not be reached, or did not answer HTTP"
        ) from error
    finally:
        connection.close()
    if len(answer) > LARGEST_ANSWER:
        raise RemoteError("the model server's answer is too large")
    return answer


def _checked(answer, sentences: Sequence[Sequence[str]], url: str) -> list[list[str]]:
    tags = answer.get("tags") if isinstance(answer, dict) else None
    if not isinstance(tags, list) or len(tags) != len(sentences):
        log.warning("remote model %s answered %.200r", url, answer)
        raise RemoteError(
            "the model server did not answer as expected: it must answer {'tags': [...]} "
            "with one list per sentence"
        )
    for number, (row, tokens) in enumerate(zip(tags, sentences, strict=True), 1):
        if not isinstance(row, list) or len(row) != len(tokens):
            log.warning("remote model %s: sentence %s: %.200r", url, number, row)
            raise RemoteError(
                f"the model server did not answer as expected: sentence {number} has "
                f"{len(tokens)} tokens but not as many tags"
            )
        for position, tag in enumerate(row, 1):
            try:
                parse_tag(tag)
            except (TagError, TypeError) as error:
                log.warning("remote model %s: sentence %s: %s", url, number, error)
                raise RemoteError(
                    f"the model server did not answer as expected: sentence {number}, "
                    f"token {position}: a malformed tag (expected O, or B- or I- and a label)"
                ) from error
    return tags


def tag_all(
    url: str, sentences: Sequence[Sequence[str]], *, allowed: list[Rule], progress=None
) -> list[list[str]]:
    result: list[list[str]] = []
    for start in range(0, len(sentences), BATCH):
        result.extend(tag_batch(url, sentences[start : start + BATCH], allowed=allowed))
        if progress:
            progress(len(result), len(sentences))
    return result
