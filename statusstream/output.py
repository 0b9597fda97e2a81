"""stdout: one JSON line per event, flushed as written; a closed or failing stdout stops the run."""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import BinaryIO

from statusstream.errors import OutputClosed, OutputError

# JSON escapes only C0 controls. These others can also drive a terminal (DEL, C1 such as the
# CSI U+009B, bidi overrides) or break line-oriented readers (U+2028, U+2029, lone
# surrogates, which are not UTF-8). They only ever occur inside JSON strings, where \uXXXX
# means the same character, so escaping them changes no value.
_ESCAPED = ((0x7F, 0x9F), (0x2028, 0x202E), (0x2066, 0x2069), (0xD800, 0xDFFF))  # inclusive
_ESCAPE = {code: f"\\u{code:04x}" for first, last in _ESCAPED for code in range(first, last + 1)}
_NEEDS_ESCAPE = re.compile(
    "[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in _ESCAPED) + "]"
)


class Output:
    def __init__(self, stream: BinaryIO | None = None) -> None:
        if stream is None and sys.stdout is not None:  # None when started with fd 1 closed
            stream = sys.stdout.buffer
        self._stream = stream
        self.written = 0

    def write(self, lines: list[str]) -> None:
        """Write and flush lines; only after this returns may their events be recorded.

        Lines produced together (a feed's, up to 16 KiB) are flushed together, with nothing
        in between: a write each would cost more than their encoding. If the flush fails,
        none of them counts as written, and all are written again next time.
        """
        if self._stream is None:
            message = "cannot write to stdout: it is closed"
            raise OutputError(message)
        data = "\n".join(lines) + "\n"
        if _NEEDS_ESCAPE.search(data):
            data = data.translate(_ESCAPE)
        try:
            self._stream.write(data.encode("utf-8"))
            self._stream.flush()
        except BrokenPipeError as exc:
            _silence_stdout()
            message = "stdout was closed by its reader"
            raise OutputClosed(message) from exc
        except OSError as exc:
            _silence_stdout()
            if exc.errno == errno.EPIPE:
                message = "stdout was closed by its reader"
                raise OutputClosed(message) from exc
            message = f"cannot write to stdout: {exc.strerror or exc}"
            raise OutputError(message) from exc
        self.written += len(lines)


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
