"""Pages, fragments and downloads, through Django's test client."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import Document, Membership, Project
from annotator.services.corpus import import_conll
from annotator.services.labels import ADD, NewLabels
from tests.conftest import BROKEN, MARKUP, SMALL, import_files, row_counts

pytestmark = pytest.mark.django_db


def project_url(project: Project, name: str = "annotator-project-detail") -> str:
    return reverse(name, args=[project.pk])


def document_url(document: Document, name: str = "annotator-document-detail") -> str:
    return reverse(name, args=[document.pk])


def page(response) -> str:
    return response.content.decode()


def words(html: str) -> str:
    """The page with runs of white space collapsed, as a reader sees it."""
    return " ".join(html.split())


def downloaded(response) -> bytes:
    return b"".join(response.streaming_content)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def upload_form(*files: SimpleUploadedFile, **fields) -> dict:
    """What the browser sends from the upload form: the files and the scheme select's default."""
    return {"files": list(files), "scheme": "auto", "encoding": "", "tag_column": "", **fields}


class Node:
    """An element of a parsed page: enough of a DOM to read what a user sees."""

    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs, self.children = tag, attrs, []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def descendants(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.descendants()

    def select(self, tag: str = "", *classes: str, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.descendants()
            if (not tag or node.tag == tag)
            and node.classes.issuperset(classes)
            and all(node.attrs.get(k) == v for k, v in attrs.items())
        ]

    def text(self, *, skip: tuple[str, ...] = ()) -> str:
        """The visible words, leaving out elements with any of the `skip` classes."""
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif not child.classes.intersection(skip):
                parts.append(" " + child.text(skip=skip) + " ")
        return " ".join("".join(parts).split())


class _TreeBuilder(HTMLParser):
    VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def top_level(html: str) -> list[Node]:
    return [node for node in parse(html).children if isinstance(node, Node)]


def shown_sentences(html: str) -> list[Node]:
    return parse(html).select("article", "sentence")


def sentence_numbers(html: str) -> list[int]:
    """The numbers the reader sees in front of each sentence on the page."""
    numbers = []
    for sentence in shown_sentences(html):
        number = sentence.select("", "number")[0].text()
        numbers.append(int(re.match(r"\d+", number).group()))
    return numbers


def span_texts(html: str, label: str) -> list[str]:
    """The words of each entity span with this label, in page order (tags and label left out)."""
    return [
        span.text(skip=("tag", "label"))
        for sentence in shown_sentences(html)
        for span in sentence.select("", "span", title=label)
    ]


def flagged_tokens(html: str) -> list[str]:
    return [
        token.text(skip=("tag",))
        for sentence in shown_sentences(html)
        for token in sentence.select("", "token", "invalid")
    ]


def token_tags(html: str) -> list[str]:
    return [tag.text() for sentence in shown_sentences(html) for tag in sentence.select("", "tag")]


def make_document(project_name: str, sentences: int) -> Document:
    data = b"".join(
        b"Alan\tB-PER\nTuring\tI-PER\nin\tO\nLondon\tB-LOC\n\n" for _ in range(sentences)
    )
    summary = import_conll(project_name=project_name, files=[("long.conll", BytesIO(data))])
    return summary.project.documents.get()


# Access


def test_every_page_sends_an_anonymous_visitor_to_the_login_page(client, project, document):
    urls = [
        reverse("annotator-project-list"),
        project_url(project),
        project_url(project, "annotator-project-export"),
        document_url(document),
        document_url(document, "annotator-document-export"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_an_anonymous_upload_is_sent_to_the_login_page_and_imports_nothing(client, project):
    url = project_url(project, "annotator-project-upload")

    response = client.post(url, upload_form(upload("x.conll", b"a\tO\n")))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert project.documents.count() == 1


def test_the_home_page_leads_a_logged_in_member_to_their_projects(member_client, project):
    response = member_client.get("/", follow=True)

    assert response.status_code == 200
    assert "Small corpus" in page(response)


def test_the_project_list_shows_only_the_projects_a_user_is_in(member_client, member, project):
    import_files("Secret corpus", SMALL)

    html = page(member_client.get(reverse("annotator-project-list")))

    assert "Small corpus" in html
    assert "Secret corpus" not in html


def test_an_outsider_gets_404_for_a_project_they_are_not_in(outsider_client, project, document):
    urls = [
        project_url(project),
        project_url(project, "annotator-project-export"),
        document_url(document),
        document_url(document, "annotator-document-export"),
    ]
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url


def test_an_outsider_cannot_upload_into_a_project_they_are_not_in(outsider_client, project):
    before = row_counts()

    response = outsider_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("x.conll", b"a\tB-NEW\n")),
    )

    assert response.status_code == 404
    assert row_counts() == before


def test_a_member_of_another_project_gets_404_for_this_one(outsider, outsider_client, project):
    other = import_files("Other corpus", SMALL).project
    Membership.objects.create(project=other, user=outsider)
    document = project.documents.get()

    assert outsider_client.get(project_url(other)).status_code == 200
    assert outsider_client.get(project_url(project)).status_code == 404
    assert outsider_client.get(document_url(document)).status_code == 404
    assert outsider_client.get(document_url(document, "annotator-document-export")).status_code == (
        404
    )


def test_a_missing_project_and_a_missing_document_give_404(member_client):
    assert member_client.get(reverse("annotator-project-detail", args=[999999])).status_code == 404
    assert member_client.get(reverse("annotator-document-detail", args=[999999])).status_code == 404


def test_a_superuser_can_open_any_project(superuser, project, document):
    client = Client()
    client.force_login(superuser)

    assert client.get(project_url(project)).status_code == 200
    assert client.get(document_url(document)).status_code == 200


# Project page


def test_the_project_page_lists_documents_labels_and_counts(member_client, project):
    import_files("Small corpus", MARKUP)

    html = page(member_client.get(project_url(project)))

    assert "<h1>Small corpus</h1>" in html
    assert "2 documents · 5 sentences · 29 tokens" in html
    for label in ["Algorithm", "Device", "LOC", "PER"]:
        assert f'<span class="label">{label}</span>' in html
    rows = [[cell.text() for cell in row.select("td")] for row in parse(html).select("tr")[1:]]
    assert [row[1] for row in rows] == ["small.conll", "markup.conll"]
    assert [(row[3], row[4]) for row in rows] == [("4", "26"), ("1", "3")]


def test_the_jobs_page_offers_a_file_of_several_documents_as_one_choice(
    member_client, project, settings, tmp_path
):
    parts = tmp_path / "eng.train"  # three documents, one per -DOCSTART-, after small.conll
    parts.write_text("".join(f"-DOCSTART- O\n\nWord{n} B-PER\n\n" for n in range(3)))
    import_files("Small corpus", parts)
    ids = {d.name: str(d.pk) for d in project.documents.all()}

    def choices() -> list[tuple[str, str]]:
        tree = parse(page(member_client.get(project_url(project, "annotator-project-jobs"))))
        (select,) = tree.select("select", name="documents")
        return [(o.attrs["value"], o.text()) for o in select.select("option")]

    assert choices() == [
        (ids["small.conll"], "small.conll"),
        ("file:eng.train", "eng.train: all 3 documents"),
        (ids["eng.train"], "eng.train"),
        (ids["eng.train #2"], "eng.train #2"),
        (ids["eng.train #3"], "eng.train #3"),
    ]
    settings.DOCUMENTS_PER_PAGE = 3  # more documents than that: the file's choice alone
    assert choices() == [
        (ids["small.conll"], "small.conll"),
        ("file:eng.train", "eng.train: all 3 documents"),
    ]


def test_the_project_page_lists_a_page_of_documents_and_counts_them_all(
    member_client, project, settings, tmp_path
):
    settings.DOCUMENTS_PER_PAGE = 2
    parts = tmp_path / "eng.train"  # five documents, one per -DOCSTART-, after small.conll
    parts.write_text("".join(f"-DOCSTART- O\n\nWord{n} B-PER\n\n" for n in range(5)))
    import_files("Small corpus", parts)

    def listed(query: str) -> tuple[list[str], str]:
        tree = parse(page(member_client.get(project_url(project) + query)))
        rows = tree.select("table", "documents")[0].select("tr")[1:]
        (pager,) = tree.select("nav", "pager")
        return [row.select("td")[1].text() for row in rows], pager.text()

    names, pager = listed("")
    assert names == ["small.conll", "eng.train"]  # the project's first file, then the five
    assert pager == "Page 1 of 3 · Next"
    html = page(member_client.get(project_url(project)))
    assert "6 documents · 9 sentences · 31 tokens" in words(html)
    assert listed("?page=3") == (["eng.train #4", "eng.train #5"], "Page 3 of 3 · Previous")
    assert listed("?page=2")[1] == "Page 2 of 3 · Previous · Next"
    assert listed("?page=99")[0] == ["eng.train #4", "eng.train #5"]  # past the end: the last
    assert listed("?page=x")[0] == ["small.conll", "eng.train"]


def test_a_new_project_page_says_there_are_no_documents_yet(member, member_client):
    empty = Project.objects.create(name="Empty")
    Membership.objects.create(project=empty, user=member, role="manager")

    html = page(member_client.get(project_url(empty)))

    assert "No documents yet." in html
    assert "No labels yet" in html


# Upload


def test_a_member_uploads_a_file_through_the_form(member, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get(project_url(project))
    token = client.cookies["csrftoken"].value

    response = client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(
            upload("extra.conll", b"Ada\tB-PER\nLovelace\tI-PER\nin\tO\nLondon\tB-GPE\n"),
            new_label="GPE",
            new_label_choice="+",  # the answer to "the project has no label GPE"
        ),
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 200
    html = page(response)
    assert "Imported 1 document, 1 sentences, 4 tokens." in words(html)
    assert "New labels: GPE." in html
    assert [d.name for d in project.documents.order_by("position")] == [
        "small.conll",
        "extra.conll",
    ]
    project.refresh_from_db()
    assert project.labels[-1] == "GPE"


def test_an_upload_with_the_csrf_token_in_the_form_field_is_accepted(member, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get(project_url(project))

    response = client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(
            upload("field.conll", b"a\tO\n"),
            csrfmiddlewaretoken=client.cookies["csrftoken"].value,
        ),
    )

    assert response.status_code == 200
    assert project.documents.filter(name="field.conll").exists()


def test_an_upload_of_several_files_imports_them_all_in_order(member_client, project):
    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("one.conll", b"a\tO\n"), upload("two.conll", b"b\tO\n")),
    )

    assert response.status_code == 200
    assert "Imported 2 documents" in page(response)
    assert [d.name for d in project.documents.order_by("position")][1:] == [
        "one.conll",
        "two.conll",
    ]


def test_an_upload_without_a_csrf_token_is_rejected(member, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    client.get(project_url(project))
    before = row_counts()

    response = client.post(
        project_url(project, "annotator-project-upload"), upload_form(upload("x.conll", b"a\tO\n"))
    )

    assert response.status_code == 403
    assert row_counts() == before


def test_a_broken_upload_shows_file_and_line_and_writes_nothing(member_client, project):
    before = row_counts()

    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("broken.conll", BROKEN.read_bytes())),
    )

    assert response.status_code == 400
    html = page(response)
    assert "Nothing was imported" in html
    assert "broken.conll, line 8" in html
    assert "X-Algorithm" in html
    assert row_counts() == before


def test_a_broken_second_file_keeps_the_first_out_as_well(member_client, project):
    before = row_counts()

    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(
            upload("good.conll", b"a\tB-NEW\n"), upload("broken.conll", BROKEN.read_bytes())
        ),
    )

    assert response.status_code == 400
    assert row_counts() == before
    project.refresh_from_db()
    assert "NEW" not in project.labels


def test_an_upload_with_an_unknown_encoding_is_refused_by_the_form(member_client, project):
    before = row_counts()

    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("x.conll", b"a\tO\n"), encoding="klingon"),
    )

    assert response.status_code == 400
    assert "Unknown encoding" in page(response)
    assert row_counts() == before


def test_an_htmx_upload_returns_only_the_project_body(member_client, project):
    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("extra.conll", b"a\tO\n")),
        HTTP_HX_REQUEST="true",
    )

    html = page(response)
    assert response.status_code == 200
    assert [node.attrs.get("id") for node in top_level(html)] == [f"project-{project.pk}"]
    assert "<html" not in html
    assert "Imported 1 document" in html
    assert "extra.conll" in html


def test_a_broken_htmx_upload_returns_the_error_in_the_project_body(member_client, project):
    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("broken.conll", BROKEN.read_bytes())),
        HTTP_HX_REQUEST="true",
    )

    html = page(response)
    assert response.status_code == 400
    assert "<html" not in html
    assert "Nothing was imported" in html
    assert "broken.conll, line 8" in html


def test_a_get_on_the_upload_url_is_not_allowed(member_client, project):
    assert member_client.get(project_url(project, "annotator-project-upload")).status_code == 405


# Document page


def test_the_document_page_shows_tokens_grouped_into_labelled_spans(member_client, document):
    html = page(member_client.get(document_url(document)))

    assert "<h1>small.conll</h1>" in html
    assert "4 sentences · 26 tokens" in html
    assert span_texts(html, "PER") == ["Alan Turing", "Hochreiter"]
    assert span_texts(html, "LOC") == ["New York"]
    assert span_texts(html, "Algorithm") == [
        "Long short-term memory network",
        "Long short-term memory",
    ]
    assert sentence_numbers(html) == [1, 2, 3, 4]


def test_the_document_page_marks_the_token_with_an_invalid_transition(member_client, document):
    html = page(member_client.get(document_url(document)))

    assert flagged_tokens(html) == ["GPUs"]
    assert 'title="invalid transition: I-Device' in html


def test_the_raw_view_shows_the_bio_tags(member_client, document):
    plain = page(member_client.get(document_url(document)))
    raw = page(member_client.get(document_url(document), {"raw": "1"}))

    def container(html: str) -> Node:
        return parse(html).select("div", id="sentences")[0]

    assert "raw" not in container(plain).classes
    assert "raw" in container(raw).classes
    assert "checked" in parse(raw).select("input", name="raw")[0].attrs
    assert "checked" not in parse(plain).select("input", name="raw")[0].attrs
    tags = token_tags(raw)
    assert tags[:6] == ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]
    assert len(tags) == 26


def test_an_unknown_layer_gives_404(member_client, document):
    assert member_client.get(document_url(document), {"layer": "nope"}).status_code == 404


def test_the_document_page_is_split_into_pages(member_client, document, settings):
    settings.SENTENCES_PER_PAGE = 3

    first = page(member_client.get(document_url(document)))
    second = page(member_client.get(document_url(document), {"page": "2"}))

    assert sentence_numbers(first) == [1, 2, 3]
    assert "Page 1 of 2" in first
    assert "page=2" in first
    assert sentence_numbers(second) == [4]
    assert "Page 2 of 2" in second
    assert "Previous page" in second


def test_a_page_number_out_of_range_or_not_a_number_shows_a_real_page(
    member_client, document, settings
):
    settings.SENTENCES_PER_PAGE = 3

    assert sentence_numbers(page(member_client.get(document_url(document), {"page": "99"}))) == [4]
    assert sentence_numbers(page(member_client.get(document_url(document), {"page": "0"}))) == [
        1,
        2,
        3,
    ]
    assert sentence_numbers(page(member_client.get(document_url(document), {"page": "x"}))) == [
        1,
        2,
        3,
    ]


def test_an_htmx_request_for_the_next_sentences_returns_only_those(
    member_client, document, settings
):
    settings.SENTENCES_PER_PAGE = 2

    response = member_client.get(
        document_url(document),
        {"page": "2", "fragment": "sentences"},
        HTTP_HX_REQUEST="true",
    )

    html = page(response)
    assert response.status_code == 200
    assert sentence_numbers(html) == [3, 4]
    assert "<html" not in html
    assert "<h1>" not in html
    assert "Show BIO tags" not in html
    assert {node.tag for node in top_level(html)} <= {"article", "nav"}
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_a_fragment_parameter_without_htmx_returns_the_whole_page(member_client, document):
    html = page(member_client.get(document_url(document), {"fragment": "sentences"}))

    assert "<html" in html
    assert "<h1>small.conll</h1>" in html


def test_token_text_is_escaped_and_not_evaluated_as_a_template(member_client, project):
    document = import_files("Small corpus", MARKUP).project.documents.get(name="markup.conll")

    html = page(member_client.get(document_url(document)))

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "{{ 7*7 }}" in html
    assert ">49<" not in html
    assert span_texts(html, "PER") == ["<script>alert(1)</script>"]
    assert "{{ 7*7 }}" in parse(html).text()


def test_the_document_page_needs_the_same_number_of_queries_for_a_long_document(
    member, member_client, settings
):
    settings.SENTENCES_PER_PAGE = 50
    short = make_document("Short", 10)
    long = make_document("Long", 300)
    for document in (short, long):
        Membership.objects.create(project=document.project, user=member, role="manager")
    member_client.get(document_url(short))  # warm caches (content types, sessions)

    counts = []
    for document in (short, long):
        with CaptureQueriesContext(connection) as queries:
            response = member_client.get(document_url(document))
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# Downloads


def test_the_document_download_is_the_uploaded_file_byte_for_byte(member_client, document):
    response = member_client.get(document_url(document, "annotator-document-export"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="small.conll"'
    assert downloaded(response) == SMALL.read_bytes()


def test_the_document_download_converts_to_another_scheme_on_request(member_client, document):
    response = member_client.get(
        document_url(document, "annotator-document-export"), {"scheme": "bioes"}
    )

    lines = downloaded(response).decode().splitlines()
    assert lines[1:4] == ["Alan\tB-PER", "Turing\tE-PER", "worked\tO"]
    assert lines[5] == "New York\tS-LOC"


def test_a_download_with_an_unknown_scheme_or_layer_is_refused(member_client, document):
    url = document_url(document, "annotator-document-export")

    assert member_client.get(url, {"scheme": "klingon"}).status_code == 400
    assert member_client.get(url, {"layer": "nope"}).status_code == 404


def test_the_project_export_concatenates_documents_in_import_order(member_client, member):
    first = b"Zed\tB-PER\n\n"
    second = b"Abe\tB-PER\nsat\tO\n"
    project = import_conll(
        project_name="Two files",
        files=[("zulu.conll", BytesIO(first)), ("alpha.conll", BytesIO(second))],
    ).project
    import_conll(
        project_name="Two files",
        files=[("mike.conll", BytesIO(SMALL.read_bytes()))],
        new_labels=NewLabels(ADD),
    )
    Membership.objects.create(project=project, user=member, role="manager")

    response = member_client.get(project_url(project, "annotator-project-export"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Two_files.conll"'
    assert downloaded(response) == first + second + SMALL.read_bytes()


def test_an_upload_in_latin_1_is_imported_and_downloaded_in_latin_1(member_client, project):
    data = "Jürgen\tB-PER\nSchmidhuber\tI-PER\nin\tO\nMünchen\tB-LOC\n".encode("latin-1")

    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("latin.conll", data), encoding="latin-1"),
    )

    assert response.status_code == 200
    document = project.documents.get(name="latin.conll")
    html = page(member_client.get(document_url(document)))
    assert span_texts(html, "LOC") == ["München"]
    download = member_client.get(document_url(document, "annotator-document-export"))
    assert downloaded(download) == data


def test_an_upload_with_a_tag_column_reads_the_tags_from_that_column(member_client, project):
    data = b"Ada\tB-PER\tNNP\nLovelace\tI-PER\tNNP\nwrote\tO\tVBD\n"

    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("pos.conll", data), tag_column="2"),
    )

    assert response.status_code == 200
    document = project.documents.get(name="pos.conll")
    assert span_texts(page(member_client.get(document_url(document))), "PER") == ["Ada Lovelace"]
    download = member_client.get(document_url(document, "annotator-document-export"))
    assert downloaded(download) == data


@pytest.mark.parametrize("codec", ["zlib", "rot13", "base64"])
def test_an_upload_naming_a_codec_that_is_not_a_text_encoding_is_refused(
    member_client, project, codec
):
    before = row_counts()

    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload("x.conll", b"a\tO\n"), encoding=codec),
    )

    assert response.status_code == 400
    assert codec in page(response)
    assert row_counts() == before


def test_a_file_name_with_markup_is_shown_escaped_in_the_error(member_client, project):
    name = "<img src=x onerror=alert(1)>.conll"

    response = member_client.post(
        project_url(project, "annotator-project-upload"),
        upload_form(upload(name, b"a\tB-PER\nb\tQ-PER\n")),
    )

    html = page(response)
    assert response.status_code == 400
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.conll, line 2" in html
