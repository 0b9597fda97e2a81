"""Where `parsing.parse_feed` runs: in the event loop for a few bodies, then in worker processes.

Parsing is the CPU floor of a cold poll. Worker processes (threads cannot) spread it over the
cores, and keep a huge hostile body from stalling every other feed: a parse cancelled with
its poll kills its worker. Few new bodies (the usual poll) never pay for starting them: a
body is parsed in the event loop unless over `IN_PROCESS` others came within `IDLE_TIMEOUT`
(a burst, such as a cold poll), or it is over `LARGE_BODY` (a normal feed is under 100 KB; a
hostile one can cost seconds).
"""

from __future__ import annotations

import contextlib
from collections import deque
from typing import Any

import trio

from statusstream.parsing import Parsed, parse_feed

IN_PROCESS = 8
LARGE_BODY = 512 * 1024
IDLE_TIMEOUT = 120.0  # seconds an idle worker waits for more before it exits


class ParsePool:
    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._arrivals: deque[float] = deque(maxlen=IN_PROCESS + 1)  # the latest bodies' times
        self._exit = contextlib.AsyncExitStack()
        self._context: Any = None  # a `trio_parallel.WorkerContext` (untyped), once started
        self._limiter = trio.CapacityLimiter(max(1, workers))
        self.in_workers = 0  # bodies parsed in a worker process

    async def parse(self, body: bytes, provider: str | None) -> Parsed:
        now = trio.current_time()
        self._arrivals.append(now)
        burst = len(self._arrivals) > IN_PROCESS and now - self._arrivals[0] < IDLE_TIMEOUT
        if self._workers < 1 or (not burst and len(body) <= LARGE_BODY):
            return parse_feed(body, provider)
        if self._context is None:
            import trio_parallel  # type: ignore[import-untyped]  # deferred: few runs need it

            # Entering the context starts nothing and does not block, so no other task
            # can find `_context` still unset and open a second one.
            self._context = await self._exit.enter_async_context(
                trio_parallel.open_worker_context(idle_timeout=IDLE_TIMEOUT)
            )
        self.in_workers += 1
        parsed: Parsed = await self._context.run_sync(
            parse_feed, body, provider, kill_on_cancel=True, limiter=self._limiter
        )
        return parsed

    async def aclose(self) -> None:
        """Stop the workers (waiting for any still parsing)."""
        await self._exit.aclose()
