"""User text is text: md_text and md_code, rendered by a CommonMark renderer, show exactly
the characters given and build no link, image, HTML, code, emphasis, heading or list."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from ui.text import WORD_JOINER, md_code, md_text

# CommonMark with GitHub's tables and strikethrough, as Streamlit's renderer has them.
RENDERER = MarkdownIt("commonmark").enable(["table", "strikethrough"])

CORPUS = [
    "![t](http://127.0.0.1:9/track.png)",
    "[click](http://evil.example)",
    "<img src=http://127.0.0.1:9/x.png>",
    "<http://evil.example>",
    "<script>alert(1)</script>",
    "**bold** _em_ *em* __strong__ ~~gone~~",
    "`code` and ``more``",
    "# heading",
    "  ## indented heading",
    "> quoted",
    "- item",
    "+ item",
    "* item",
    "1. first",
    "2) second",
    "---",
    "===",
    "a | b\n--|--\nc | d",
    "line one\n- a list on line two",
    "back\\slash \\[not a link\\](x)",
    "[ref]: http://evil.example",
    "$x^2$ and :red[colour]",
    "SHP-1005 ACME_LTD 12.50 (net) {x} #7 +1 !",
]
# Markup a renderer builds from syntax (a paragraph and line breaks are the text's own).
MARKUP = re.compile(r"<(?!/?p>|br />)[^>]*>")


def rendered(markdown: str) -> str:
    return RENDERER.render(markdown)


def shown_text(markdown: str) -> str:
    """The characters a reader sees: the HTML without its paragraph tags, unescaped, and
    without the (invisible) word joiners that keep bare addresses from becoming links."""
    body = rendered(markdown).replace("<br />", "").replace("<p>", "").replace("</p>", "")
    return html.unescape(body).replace(WORD_JOINER, "").strip()


@pytest.mark.parametrize("value", CORPUS)
def test_user_text_renders_as_its_own_characters_and_no_markup(value):
    markdown = md_text(value)
    assert MARKUP.findall(rendered(markdown)) == []
    assert shown_text(markdown) == value.strip()


@pytest.mark.parametrize("value", CORPUS)
def test_no_link_syntax_survives(value):
    # `](` with no backslash before the `]` would close a link's text and open its address.
    assert re.search(r"(?<!\\)\]\(", md_text(value)) is None


@pytest.mark.parametrize(
    "value", ["see http://evil.example", "www.evil.example", "HTTPS://x", "ops@evil.example"]
)
def test_a_bare_address_is_broken_up_so_it_is_not_made_a_link(value):
    markdown = md_text(value)
    # GitHub-flavoured Markdown links `scheme://`, `www.` and `name@domain` found in the text
    # (after escapes are undone): none of them is left in one piece.
    assert re.search(r"(?i)[a-z]://|www\.|\w@", markdown) is None
    assert shown_text(markdown) == value


def test_nothing_is_shown_for_nothing():
    assert md_text(None) == ""
    assert md_text("") == ""


def test_text_inside_a_word_is_left_readable():
    assert md_text("SHP-1005 ACME_LTD 12.50") == "SHP-1005 ACME_LTD 12.50"


@pytest.mark.parametrize("value", ["ALOK", "![t](http://x/t.png)", "a`b", "``x``", "`edge`"])
def test_a_code_span_holds_the_value_as_it_is(value):
    html_code = rendered(md_code(value))
    assert MARKUP.findall(html_code) == ["<code>", "</code>"]
    [inside] = re.findall(r"<code>(.*)</code>", html_code)
    assert html.unescape(inside) == value
