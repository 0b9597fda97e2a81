"""Plain, terminal-safe text from feed HTML: `html_to_text` and `clean`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusstream.text import clean, html_to_text

# What must never reach a terminal raw: C0 and C1 controls (tab and newline are folded away
# as white space), DEL, and the bidi embedding, override and isolate characters.
UNSAFE = {
    *map(chr, range(0x00, 0x20)),
    *map(chr, range(0x7F, 0xA0)),
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
}


def test_tags_are_removed() -> None:
    """Inline tags disappear without adding space; their text stays."""
    assert html_to_text('<b>API</b> is <a href="https://x.test/">down</a>') == "API is down"
    assert html_to_text("<b>bold</b>text") == "boldtext"


@pytest.mark.parametrize(
    "markup",
    ["<p>one</p><p>two</p>", "one<br>two", "one<br/>two", "one<BR />two",
     "<li>one</li><li>two</li>", "<div>one</div><div>two</div>", "<h2>one</h2>two",
     "<tr>one</tr><tr>two</tr>"],
)  # fmt: skip
def test_block_tags_separate_words(markup: str) -> None:
    """Paragraphs, line breaks, list items and headings leave a space between their texts."""
    assert html_to_text(markup) == "one two"


def test_entities_are_decoded_after_tags_are_removed() -> None:
    """Named and numeric entities decode; escaped markup is text, not a tag."""
    assert html_to_text("x &amp; y &lt;b&gt; &#8211; &eacute; &#x263A;") == "x & y <b> \u2013 é ☺"
    assert (
        html_to_text("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>") == "<script>alert(1)</script>"
    )


def test_plain_text_with_angle_brackets_survives() -> None:
    """A `<` that opens no tag is text (`2 < 3`)."""
    assert html_to_text("2 < 3 and 4 > 1") == "2 < 3 and 4 > 1"


def test_white_space_is_folded() -> None:
    """Runs of spaces, tabs, newlines and no-break spaces become one space; ends are trimmed."""
    assert html_to_text("  line\r\n\tline &nbsp; x\u2028y  ") == "line line x y"


def test_script_and_style_are_dropped_with_their_content() -> None:
    """`<script>` and `<style>` bodies never become text, whatever their case."""
    markup = (
        "<script>alert(1)</script>ok<style>p { color: red }</style>"
        " <SCRIPT type=x>bad</SCRIPT >fine"
    )
    assert html_to_text(markup) == "ok fine"


def test_comments_and_declarations_are_dropped() -> None:
    """HTML comments, `<!...>` declarations and processing instructions leave nothing."""
    assert html_to_text("<!-- hidden -->a<!DOCTYPE html>b<?xml version='1.0'?>c") == "abc"


def test_escape_character_is_removed() -> None:
    """ESC is dropped, so a colour sequence is inert text (`[31m`) and cannot drive a terminal."""
    text = html_to_text("a\x1b[31mred\x1b[0m")
    assert "\x1b" not in text
    assert text == "a [31mred [0m"


def test_eight_bit_csi_is_removed() -> None:
    """The one-byte CSI (U+009B) and the other C1 controls are dropped."""
    text = html_to_text("a\x9b31mb\x85c\x9dd")
    assert not set(text) & UNSAFE
    assert text == "a 31mb c d"


def test_bidi_overrides_are_removed() -> None:
    """Bidi embeddings, overrides and isolates (U+202A-E, U+2066-9) are dropped."""
    text = html_to_text("\u202egnp.exe\u202c \u2066x\u2069 \u202ay\u202b")
    assert not set(text) & UNSAFE
    assert text == "gnp.exe x y"


def test_controls_from_entities_are_removed() -> None:
    """A control written as a numeric entity (`&#27;`, `&#x7f;`, `&#0;`) never comes out raw."""
    text = html_to_text("a&#27;[1mb&#x7f;c&#0;d&#8238;e")
    assert not set(text) & UNSAFE
    assert "a" in text and "e" in text


def test_nul_and_del_are_removed() -> None:
    """NUL and DEL in the text are dropped."""
    assert html_to_text("a\x00b\x7fc") == "a b c"


def test_text_without_markup_is_only_cleaned() -> None:
    """Text without `<` still gets entities decoded and white space folded."""
    assert html_to_text("Fish &amp;   chips") == "Fish & chips"


def test_non_ascii_text_is_kept() -> None:
    """Letters outside ASCII, emoji and right-to-left scripts are text, not controls."""
    text = "Störung \u2013 障害 \u2013 خطأ 🔥"
    assert html_to_text(f"<p>{text}</p>") == text


def test_clean_folds_and_strips() -> None:
    """`clean` drops controls, folds white space and trims."""
    assert clean("  Google\t\nCloud\x1b ") == "Google Cloud"
    assert clean("") == ""


@given(st.text())
def test_html_to_text_never_lets_a_control_through(markup: str) -> None:
    """Whatever the input, the text is folded, trimmed, and holds no unsafe character."""
    text = html_to_text(markup)
    assert not set(text) & UNSAFE
    assert text == text.strip()
    assert "  " not in text


@given(st.text())
def test_clean_is_idempotent(text: str) -> None:
    """Cleaning clean text changes nothing."""
    assert clean(clean(text)) == clean(text)
