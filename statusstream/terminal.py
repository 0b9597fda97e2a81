"""What only a terminal sees: the `--once` progress line on stderr."""

from __future__ import annotations

import sys
from typing import TextIO

import trio

from statusstream.report import Tally

TICK = 0.25  # seconds between redraws


class Progress:
    """ "statusstream: done/total feeds" on one line, wiped before anything else is written
    (events on stdout go to the same terminal and would run into it)."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self._total = total
        self._stream = stream
        self._shown = False

    def clear(self) -> None:
        if self._shown:
            self._write("\r\x1b[K")
            self._shown = False

    async def run(self, tally: Tally) -> None:
        """Redraw until every feed is done."""
        while True:
            self._write(f"\rstatusstream: {tally.done}/{self._total} feeds\x1b[K")
            self._shown = True
            if tally.done >= self._total:
                break
            await trio.sleep(TICK)
        self.clear()

    def _write(self, text: str) -> None:
        stream = self._stream or sys.stderr
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            pass  # stderr is gone; the progress line is no loss
