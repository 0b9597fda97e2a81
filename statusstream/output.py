"""stdout: one JSON line per event, flushed as written; a closed or failing stdout stops the run."""

from __future__ import annotations

import errno
import os
import sys
from typing import BinaryIO

from statusstream.errors import OutputClosed, OutputError

# JSON escapes only C0 controls. These others can also drive a terminal (DEL, C1 such as the
# CSI U+009B, bidi overrides) or break line-oriented readers (U+2028, U+2029, lone
# surrogates, which are not UTF-8). They only ever occur inside JSON strings, where \uXXXX
# means the same character, so escaping them changes no value.
_ESCAPE = {
    code: f"\\u{code:04x}"
    for code in (
        *range(0x7F, 0xA0),
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        *range(0xD800, 0xE000),
    )
}


class Output:
    def __init__(self, stream: BinaryIO | None = None) -> None:
        if stream is None and sys.stdout is not None:  # None when started with fd 1 closed
            stream = sys.stdout.buffer
        self._stream = stream
        self.written = 0

    def write(self, line: str) -> None:
        """Write and flush one line; only after this returns may the event be recorded."""
        if self._stream is None:
            message = "cannot write to stdout: it is closed"
            raise OutputError(message)
        try:
            self._stream.write(line.translate(_ESCAPE).encode("utf-8") + b"\n")
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
        self.written += 1


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
