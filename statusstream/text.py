"""Plain, terminal-safe text from the HTML and strings that feeds carry."""

from __future__ import annotations

import html
import re

_BLOCK_TAG = re.compile(r"<\s*(?:br|/?p|/?div|/?li|/?ul|/?ol|/?tr|/?h\d)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<!--.*?-->|<![^>]*>|<\?.*?\?>|</?[A-Za-z][^>]*>", re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# C0 and C1 controls, DEL, and the bidi overrides: none may reach a terminal raw.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Drop control characters and fold white space to single spaces."""
    return _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()


def html_to_text(markup: str) -> str:
    """Tags removed, entities decoded, white space folded."""
    if "<" in markup:
        markup = _SCRIPT.sub(" ", markup)
        markup = _BLOCK_TAG.sub(" ", markup)
        markup = _TAG.sub("", markup)
    return clean(html.unescape(markup))
