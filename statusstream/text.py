"""Plain, terminal-safe text from the HTML and strings that feeds carry.

Every pattern here runs in time linear in its input, whatever a server sends: a construct
left open (`<!--`, `<script`, `<a` without `>`) runs to the end of the text instead of
being searched for again from every later position.
"""

from __future__ import annotations

import html
import re

_BLOCK_TAG = re.compile(
    r"<\s*(?:br|/?p|/?div|/?li|/?ul|/?ol|/?tr|/?h\d)\b[^>]*(?:>|\Z)", re.IGNORECASE
)
_TAG = re.compile(
    r"<!--.*?(?:-->|\Z)|<![^>]*(?:>|\Z)|<\?.*?(?:\?>|\Z)|</?[A-Za-z][^>]*(?:>|\Z)", re.DOTALL
)
_SCRIPT = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)", re.IGNORECASE | re.DOTALL)
# C0 and C1 controls, DEL, and the bidi overrides: none may reach a terminal raw.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Drop control characters and fold white space to single spaces."""
    # split() splits where `\s` matches, and is several times faster than substituting.
    return " ".join(_CONTROL.sub(" ", text).split())


def has_control(text: str) -> bool:
    """True if `text` holds a character that `clean` would drop (tab and newline aside)."""
    return _CONTROL.search(text) is not None


def html_to_text(markup: str) -> str:
    """Tags removed, entities decoded, white space folded."""
    if "<" in markup:
        markup = _SCRIPT.sub(" ", markup)
        markup = _BLOCK_TAG.sub(" ", markup)
        markup = _TAG.sub("", markup)
    return clean(html.unescape(markup))
