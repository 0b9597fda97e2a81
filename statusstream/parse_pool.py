"""Where `parsing.parse_feed` runs: in the event loop for a few small bodies, else in workers.

Parsing is the CPU floor of a cold poll. Worker processes (threads cannot) spread it over the
cores, and a parse cancelled at its poll's deadline kills its worker, so no body can stall
the run. A usual poll (few new bodies, each small) never pays for starting them: a body is
parsed in the event loop when it is at most `SMALL_BODY` bytes with at most `FEW_ATTRIBUTES`
`=` signs (feedparser's time grows with the square of an element's attributes: 8,000 on
one element take 0.6 s, real status feeds have a few hundred in all and take about 10 ms),
and no more than `IN_PROCESS` others came within `IDLE_TIMEOUT` (a burst, such as a cold
poll). Anything else goes to a worker, even on one core.
"""

from __future__ import annotations

import contextlib
from collections import deque
from types import TracebackType
from typing import Any

import trio

from statusstream.parsing import Parsed, parse_feed

IN_PROCESS = 8
SMALL_BODY = 256 * 1024
FEW_ATTRIBUTES = 2000
IDLE_TIMEOUT = 120.0  # seconds an idle worker waits for more before it exits


class ParsePool:
    def __init__(self, workers: int) -> None:
        self._cores = workers  # 0: this machine has one core; bursts stay in the event loop
        self._arrivals: deque[float] = deque(maxlen=IN_PROCESS + 1)  # the latest bodies' times
        self._exit = contextlib.AsyncExitStack()
        self._context: Any = None  # a `trio_parallel.WorkerContext` (untyped), once started
        self._limiter = trio.CapacityLimiter(max(1, workers))
        self.in_workers = 0  # bodies parsed in a worker process

    async def __aenter__(self) -> ParsePool:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the workers, waiting for any still parsing (a cancelled parse killed its own)."""
        with trio.CancelScope(shield=True):
            await self._exit.aclose()

    async def parse(self, body: bytes, provider: str | None) -> Parsed:
        if self._in_process(body):
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

    def _in_process(self, body: bytes) -> bool:
        now = trio.current_time()
        self._arrivals.append(now)
        burst = len(self._arrivals) > IN_PROCESS and now - self._arrivals[0] < IDLE_TIMEOUT
        if burst and self._cores > 0:
            return False
        return len(body) <= SMALL_BODY and body.count(b"=") <= FEW_ATTRIBUTES
