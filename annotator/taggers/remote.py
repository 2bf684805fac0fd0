"""Remote models: an HTTP endpoint that answers the tagging contract (README, Remote models),
on a model server the administrator allows (settings.REMOTE_MODEL_HOSTS)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.encoding import iri_to_uri
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotator.models import Project, TaggerModel
from annotator.nlp import remote, remote_hosts, scheme
from annotator.params import Form, NotInProject
from annotator.taggers.base import TaggerFailed, TaggerKind

URL_LENGTH = 200


def allowed_hosts() -> list[remote_hosts.Rule]:
    """The administrator's list of model servers (settings.REMOTE_MODEL_HOSTS)."""
    return remote_hosts.parse_rules(settings.REMOTE_MODEL_HOSTS)


@extend_schema_field({"type": "string", "format": "uri", "minLength": 1, "maxLength": URL_LENGTH})
class HttpUriField(serializers.CharField):
    """Any http(s) URI, not only what Django's URLValidator takes: it refuses hosts without a
    dot such as http://tagger:8000/. Kept as ASCII: an international host in IDNA, other
    characters percent-encoded (the API answers it as `format: uri`)."""

    def to_internal_value(self, data) -> str:
        url = super().to_internal_value(data)
        if any(character.isspace() or ord(character) < 32 for character in url):
            raise serializers.ValidationError("Enter a URL without spaces or control characters.")
        try:
            parts = urlsplit(url)
            port = parts.port
            host = (parts.hostname or "").encode("idna").decode("ascii")
        except (ValueError, UnicodeError) as error:
            raise serializers.ValidationError("Enter a valid URL.") from error
        if parts.scheme not in ("http", "https") or not host:
            raise serializers.ValidationError("Enter an http:// or https:// URL with a host.")
        netloc = host if ":" not in host else f"[{host}]"
        if port is not None:
            netloc += f":{port}"
        if parts.username is not None:
            login = parts.username + (f":{parts.password}" if parts.password is not None else "")
            netloc = iri_to_uri(login) + "@" + netloc
        rest = [iri_to_uri(part) for part in (parts.path, parts.query, parts.fragment)]
        uri = urlunsplit((parts.scheme, netloc, *rest))
        if len(uri) > URL_LENGTH:
            raise serializers.ValidationError("This URL is too long once encoded as ASCII.")
        return uri


class Settings(Form):
    """A remote model's address."""

    url = HttpUriField(
        max_length=URL_LENGTH,
        label="at",
        help_text="remote: where to POST sentences (README, Remote models).",
        style={"input_type": "url", "placeholder": "http://host:port/", "size": 28},
    )

    def fit(self, project: Project, params: dict) -> dict:
        try:
            remote_hosts.check_url(params["url"], allowed_hosts())
        except remote_hosts.NotAllowed as error:
            raise NotInProject({"url": [str(error)]}) from error
        return params


class RemoteTagger:
    """Checks the answered labels against the project's."""

    def __init__(self, model: TaggerModel):
        self.url = model.settings["url"]
        self.labels = set(model.project.labels)

    def tag_many(self, sentences: list[list[str]]) -> list[list[str]]:
        # Checked again at call time: the list may have changed, or the name now resolves
        # elsewhere, since the model was registered.
        try:
            tagged = remote.tag_all(self.url, sentences, allowed=allowed_hosts())
        except (remote.RemoteError, remote_hosts.NotAllowed) as error:
            raise TaggerFailed(str(error)) from error
        unknown = sorted(scheme.labels(t for row in tagged for t in row) - self.labels)
        if unknown:
            # Valid tags' labels, shortened: the model's vocabulary, which the manager needs.
            named = ", ".join(label[:40] for label in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise TaggerFailed(
                f"the model answered labels the project does not have: {named}{more}"
                " (add them on the Settings page first)"
            )
        return tagged


def describe(model: TaggerModel) -> str:
    return f"remote: {model.settings.get('url', '')}"


KIND = TaggerKind(
    name="remote", title="remote model", load=RemoteTagger, describe=describe, settings=Settings
)
