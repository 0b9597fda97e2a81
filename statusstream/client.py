"""The HTTP clients: httpx2, one `AsyncClient` per host, all sharing one TLS context.

Why one per host: httpcore2's pool looks at every connection it holds on each request (a
`poll` system call for each idle one), so one pool for a run over 100 hosts spent 1.5 s of
CPU per 1,000 requests on that scan alone. A host's own pool holds a few connections, and
keeps them alive between requests and, in continuous mode, between polls. Every client
takes proxies (`HTTP_PROXY`, `NO_PROXY`, ...) from the environment as httpx2 does, keeps no
cookies, and counts what it reads from the network (`counting_reads`).
"""

from __future__ import annotations

import contextlib
import contextvars
import http.cookiejar
import os
import ssl
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpcore2
import httpx2

from statusstream import __version__
from statusstream.errors import FetchError, UsageError

USER_AGENT = f"statusstream/{__version__}"
HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": (
        "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9,"
        " */*;q=0.5"
    ),
}
# Seconds an idle connection is kept: longer than the default interval, so a continuous run
# polls a host over the connection of its last poll; servers often close at 60-75 s.
KEEPALIVE = 90.0


class Clients:
    """The clients of a run, made as hosts come up; closed together."""

    def __init__(self, factory: Callable[[], httpx2.AsyncClient] | None = None) -> None:
        self._factory = factory
        self._tls: ssl.SSLContext | None = None  # loading the CA bundle once, not per host
        self._by_host: dict[str, httpx2.AsyncClient] = {}

    def for_host(self, host: str) -> httpx2.AsyncClient:
        client = self._by_host.get(host)
        if client is None:
            client = self._factory() if self._factory is not None else open_client(self._tls)
            self._by_host[host] = client
        return client

    async def __aenter__(self) -> Clients:
        """Check the environment once, before any request: CA bundles and proxies."""
        if self._factory is None:
            self._tls = tls_context()
            try:
                probe = open_client(self._tls)
            except (ImportError, ValueError, httpx2.HTTPError) as exc:
                message = f"cannot use the proxies the environment names: {exc}"
                raise UsageError(message) from exc
            await probe.aclose()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for client in self._by_host.values():
            await client.aclose()


def tls_context() -> ssl.SSLContext:
    """The TLS settings of every client: the system's CAs, or `SSL_CERT_FILE` / `SSL_CERT_DIR`."""
    try:
        return httpx2.create_ssl_context(trust_env=True)
    except (OSError, ssl.SSLError) as exc:
        names = ("SSL_CERT_FILE", "SSL_CERT_DIR")
        named = ", ".join(f"{name}={os.environ[name]}" for name in names if name in os.environ)
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        message = f"cannot load the certificate authorities ({named or 'system'}): {reason}"
        raise UsageError(message) from exc


def open_client(tls: ssl.SSLContext | None = None) -> httpx2.AsyncClient:
    """A client as statusstream uses one: its own redirects, no cookies, no timeouts of its
    own (the caller's deadline covers the whole exchange), reads counted.

    The pool does not cap connections: the poller's limits on requests in flight do.
    """
    client = httpx2.AsyncClient(
        headers=HEADERS,
        cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
        follow_redirects=False,
        limits=httpx2.Limits(max_connections=None, keepalive_expiry=KEEPALIVE),
        timeout=httpx2.Timeout(None),
        trust_env=True,
        verify=tls if tls is not None else True,
    )
    for pool in pools(client):
        pool._network_backend = _CountingBackend(pool._network_backend)
    return client


def pools(client: httpx2.AsyncClient) -> list[httpcore2.AsyncConnectionPool]:
    """The connection pools under `client`, direct and through proxies.

    httpcore2 takes a network backend, but httpx2's transport does not pass one through, so
    `open_client` sets it on the pools found here. Should httpx2 ever build them differently,
    the tests of the wire cap fail (this finds none).
    """
    transports = [client._transport, *client._mounts.values()]
    found = [getattr(transport, "_pool", None) for transport in transports]
    return [pool for pool in found if isinstance(pool, httpcore2.AsyncConnectionPool)]


async def close_idle(client: httpx2.AsyncClient, url: httpx2.URL) -> None:
    """Close the idle connections to `url`'s origin: one went stale, so may the others."""
    port = url.port or (443 if url.scheme == "https" else 80)
    origin = httpcore2.Origin(url.raw_scheme, url.raw_host, port)
    for pool in pools(client):
        for connection in pool.connections:
            if connection.is_idle() and connection.can_handle_request(origin):
                await connection.aclose()


# -- what is read from the network ------------------------------------------------------


@contextlib.contextmanager
def counting_reads(limit: int) -> Iterator[None]:
    """Within this, the task's reads from the network are capped near `limit` bytes: the
    head and the framing add to the body, and a body at the cap must still fit."""
    token = _budget.set(_Budget(limit, 2 * limit + 64 * 1024))
    try:
        yield
    finally:
        _budget.reset(token)


class _Budget:
    def __init__(self, limit: int, allowed: int) -> None:
        self.limit = limit
        self.left = allowed

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            message = f"response is over the {self.limit} byte limit (as read from the network)"
            raise FetchError(message)


# The fetch the current task is making: reads happen in the task that sends the request.
_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "statusstream_wire_budget", default=None
)


class _CountingStream(httpcore2.AsyncNetworkStream):
    """A connection whose reads count against the budget of the fetch that makes them."""

    def __init__(self, stream: httpcore2.AsyncNetworkStream) -> None:
        self._stream = stream

    # httpcore2's interface names the `timeout` parameters; the caller's deadline is trio's.
    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        data = await self._stream.read(max_bytes, timeout)
        budget = _budget.get()
        if budget is not None:
            budget.take(len(data))
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore2.AsyncNetworkStream:
        return _CountingStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _CountingBackend(httpcore2.AsyncNetworkBackend):
    def __init__(self, backend: httpcore2.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore2.AsyncNetworkStream:
        return _CountingStream(await self._backend.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore2.AsyncNetworkStream:
        return _CountingStream(await self._backend.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)
