"""stdout: one JSON line per event, flushed as written; a closed or failing stdout stops the run."""

from __future__ import annotations

import errno
import os
import sys
from typing import BinaryIO

from statusstream.errors import OutputClosed, OutputError


class Output:
    def __init__(self, stream: BinaryIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer
        self.written = 0

    def write(self, line: str) -> None:
        """Write and flush one line; only after this returns may the event be recorded."""
        try:
            self._stream.write(line.encode("utf-8", "surrogatepass") + b"\n")
            self._stream.flush()
        except BrokenPipeError as exc:
            _silence_stdout()
            message = "stdout was closed by its reader"
            raise OutputClosed(message) from exc
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _silence_stdout()
                message = "stdout was closed by its reader"
                raise OutputClosed(message) from exc
            _silence_stdout()
            message = f"cannot write to stdout: {exc.strerror or exc}"
            raise OutputError(message) from exc
        self.written += 1


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
