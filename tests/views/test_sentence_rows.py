"""The review page's sentence rows (selectors.sentence_html): the page's rows and every edit's
re-rendered sentence come from it. Token text is user data: it must come out as text, never as
markup, and the rows must carry what the template that rendered them before carried."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template import engines

from annotator import selectors
from annotator.models import Document
from annotator.nlp.suggestions import Suggestion

# The template partial the rows were rendered with before sentence_html (document_detail.html
# up to 3cc570d), kept here as the reference the new renderer is held to.
OLD_PARTIAL = """{% load l10n %}{% localize off %}
<article class="sentence{% if sentence.invalid %} flagged{% endif %}{% if sentence.reviewed %} reviewed{% endif %}"
         id="sentence-{{ sentence.id }}" data-id="{{ sentence.id }}" data-version="{{ sentence.version }}"
         data-position="{{ sentence.position }}" tabindex="-1"{% if oob %} hx-swap-oob="true"{% endif %}>
  <span class="number" title="{% if sentence.reviewed %}reviewed{% else %}not reviewed yet{% endif %}">{{ sentence.position|add:1 }}{% if sentence.reviewed %} ✓{% endif %}</span>
  <p class="tokens">{{ sentence.html }}</p>{% if sentence.probability is not None %}<span class="certainty muted" title="the model's probability of its whole suggestion for this sentence">p = {{ sentence.probability|floatformat:2 }}</span>{% endif %}{% if sentence.suggestions %}<span class="suggestion-count muted">{{ sentence.suggestions }} suggestion{{ sentence.suggestions|pluralize }}</span>{% endif %}
</article>{% endlocalize %}
"""  # noqa: E501

HOSTILE = ["<script>alert(1)</script>", 'say "hi"', "O'Brien", "AT&T", "&amp;", "</p><p>"]


class Tree(HTMLParser):
    """Start tags with their attributes, and the text between tags (whitespace-trimmed), in
    document order; what a browser builds the page from."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", data.strip()))


def parsed(markup: str) -> list[tuple]:
    tree = Tree()
    tree.feed(markup)
    tree.close()
    return tree.items


def view(tokens, tags, **fields) -> dict:
    row = {
        "sentence_id": fields.pop("id", 7),
        "sentence__position": fields.pop("position", 1234),
        "sentence__tokens": tokens,
        "tags": tags,
        "invalid": fields.pop("invalid", None),
        "version": fields.pop("version", 1001),
        "reviewed": fields.pop("reviewed", False),
    }
    suggested = fields.pop("suggested", None)
    document = Document(scheme="iob2")  # unsaved: the rows need only its scheme
    sentence = selectors.sentence_view(row, document, {"PER": 0, "ORG": 1}, suggested=suggested)
    sentence.update(fields)
    return sentence


def old_template(sentence: dict, oob: bool) -> str:
    return engines["django"].from_string(OLD_PARTIAL).render({"sentence": sentence, "oob": oob})


SAMPLES = {
    "plain": view(["Ada", "Lovelace", "wrote", "."], ["B-PER", "I-PER", "O", "O"]),
    "flagged, reviewed, scored": view(
        ["IBM", "and", "AT&T"],
        ["I-ORG", "O", "B-ORG"],
        invalid=[0],
        reviewed=True,
        probability=0.125,
        position=0,
    ),
    "suggested": view(
        ["Grace", "Hopper", "said", "so"],
        ["O", "O", "O", "O"],
        suggested=[Suggestion(0, 2, "PER", 0.91), Suggestion(3, 4, "ORG", None)],
    ),
    "hostile": view(HOSTILE, ["B-PER", "I-PER", "O", "B-ORG", "I-ORG", "O"], probability=0.5),
}


@pytest.mark.parametrize("oob", [False, True], ids=["page", "edit"])
@pytest.mark.parametrize("name", SAMPLES)
def test_a_row_carries_what_the_template_rendered(name, oob):
    sentence = SAMPLES[name]
    assert parsed(selectors.sentence_html(sentence, oob=oob)) == parsed(old_template(sentence, oob))


def test_hostile_token_text_comes_out_as_text_never_as_markup():
    sentence = SAMPLES["hostile"]
    html = selectors.sentence_html(sentence)
    assert "<script" not in html
    assert "</p><p>" not in html
    items = parsed(html)
    # The only elements are the row's own: no script, no paragraph from a token.
    tags = [item[1] for item in items if item[0] == "start"]
    assert set(tags) == {"article", "span", "p"}
    assert tags.count("p") == 1
    # A browser shows each token's text exactly as it was imported, with its tag after it.
    texts = [item[1] for item in items if item[0] == "text"]
    for token in HOSTILE:
        assert token in texts
    assert "AT&T" in texts and "&amp;" in texts  # an ampersand stays one, an entity stays text


def test_the_page_joins_its_rows_and_an_edit_swaps_its_row_by_id():
    rows = [SAMPLES["plain"], SAMPLES["suggested"]]
    page = parsed(selectors.sentences_html(rows))
    articles = [dict(item[2]) for item in page if item[:2] == ("start", "article")]
    assert [a["id"] for a in articles] == ["sentence-7", "sentence-7"]
    assert all("hx-swap-oob" not in a for a in articles)
    edited = dict(parsed(selectors.sentence_html(rows[0], oob=True))[0][2])
    assert edited["hx-swap-oob"] == "true"
    assert edited["data-version"] == "1001" and edited["data-position"] == "1234"


def test_a_row_refuses_an_id_that_is_not_a_number():
    sentence = dict(SAMPLES["plain"], id='7" onmouseover="alert(1)')
    with pytest.raises(ValueError):
        selectors.sentence_html(sentence)


# tokens_html's markup before its plain-sentence path (3cc570d), for the same tokens: the page,
# the compare view (`differs`, `other_spans`) and adjudication all show it.
TOKENS = ["Ada", "Lovelace", "&", "<b>", "."]
TAGS = ["B-PER", "I-PER", "O", "B-ORG", "O"]
PLAIN = (
    '<span class="span l0" title="PER"><span class="token" data-i="0">Ada<span class="tag">B-PER'
    '</span></span><span class="token" data-i="1">Lovelace<span class="tag">I-PER</span></span>'
    '<span class="label">PER</span></span> <span class="token" data-i="2">&amp;<span class="tag">'
    'O</span></span> <span class="span l1" title="ORG"><span class="token" data-i="3">&lt;b&gt;'
    '<span class="tag">B-ORG</span></span><span class="label">ORG</span></span> <span class="token"'
    ' data-i="4">.<span class="tag">O</span></span>'
)


def test_tokens_keep_their_markup_plain_and_compared():
    colours = {"PER": 0, "ORG": 1}
    assert selectors.tokens_html(TOKENS, TAGS, None, "iob2", colours) == PLAIN
    compared = selectors.tokens_html(
        TOKENS, TAGS, None, "iob2", colours, differs={2}, other_spans={(0, 2, "PER")}
    )
    expected = PLAIN.replace('"token" data-i="2"', '"token differs" data-i="2"').replace(
        '"span l1" title', '"span l1 differs" data-differs="only here" title'
    )
    assert compared == expected
