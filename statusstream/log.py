"""Diagnostics on stderr: one line each, text or JSON, never raw control characters."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TextIO

from statusstream.text import clean

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`1 feed`, `2 feeds`, `0 feeds`: a number and its noun, for a message."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


@dataclass(slots=True)
class Log:
    level: int = LEVELS["info"]
    json_format: bool = False
    stream: TextIO | None = None

    def debug(self, message: str, feed: str | None = None) -> None:
        self._write("debug", message, feed)

    def info(self, message: str, feed: str | None = None) -> None:
        self._write("info", message, feed)

    def warning(self, message: str, feed: str | None = None) -> None:
        self._write("warning", message, feed)

    def error(self, message: str, feed: str | None = None) -> None:
        self._write("error", message, feed)

    def _write(self, level: str, message: str, feed: str | None) -> None:
        if LEVELS[level] < self.level:
            return
        # Several lines (one per bad definition) stay several lines, each cleaned.
        lines = [clean(line) for line in message.splitlines() if line.strip()] or [""]
        stream = self.stream or sys.stderr
        for line in lines:
            if self.json_format:
                record = {"level": level, "feed": clean(feed) if feed else None, "message": line}
                text = json.dumps(record, ensure_ascii=False)
            else:
                prefix = f"{clean(feed)}: " if feed else ""
                label = "" if level == "info" else f"{level}: "
                text = f"statusstream: {label}{prefix}{line}"
            try:
                stream.write(text + "\n")
                stream.flush()
            except (OSError, ValueError):
                return  # stderr is gone; nothing better to do with a diagnostic
