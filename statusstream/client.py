"""The HTTP transports: httpx2's `AsyncHTTPTransport`, one per host, sharing one TLS context.

Why one per host: httpcore2's pool looks at every connection it holds on each request (a
`poll` system call for each idle one), so one pool for a run over 100 hosts spent 1.5 s of
CPU per 1,000 requests on that scan alone. A host's own pool holds a few connections, and
keeps them alive between requests and, in continuous mode, between polls.

Why transports, not `AsyncClient`: its layers (cookies, auth, event hooks, URL merging) do
nothing we use and cost about 10% of a warm poll; what it adds that we need is chosen here
as the client would: the proxy from the environment (`HTTP_PROXY`, `HTTPS_PROXY`,
`ALL_PROXY`, `NO_PROXY`), the default headers, the encodings httpx2 decodes. No cookies are
kept (there is no jar), and every read from the network is counted (`counting_reads`).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import ssl
import urllib.request
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import httpcore2
import httpx2
from httpx2._decoders import SUPPORTED_DECODERS  # what httpx2 can decode, as its client says

from statusstream import __version__
from statusstream.errors import FetchError, UsageError

USER_AGENT = f"statusstream/{__version__}"
HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": (
        "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9,"
        " */*;q=0.5"
    ),
    "Accept-Encoding": ", ".join(name for name in SUPPORTED_DECODERS if name != "identity"),
}
# Seconds an idle connection is kept: longer than the default interval, so a continuous run
# polls a host over the connection of its last poll; servers often close at 60-75 s.
KEEPALIVE = 90.0

Transport = httpx2.AsyncBaseTransport


class Clients:
    """The transports of a run, made as origins come up; closed together."""

    def __init__(self, factory: Callable[[], Transport] | None = None) -> None:
        self._factory = factory
        self._tls: ssl.SSLContext | None = None  # loading the CA bundle once, not per host
        self._by_origin: dict[tuple[str, str], Transport] = {}

    def for_url(self, url: httpx2.URL) -> Transport:
        key = (url.scheme, url.host)
        transport = self._by_origin.get(key)
        if transport is None:
            if self._factory is not None:
                transport = self._factory()
            else:
                transport = open_transport(self._tls, proxy_for(url))
            self._by_origin[key] = transport
        return transport

    async def __aenter__(self) -> Clients:
        """Check the environment once, before any request: CA bundles and proxies."""
        if self._factory is None:
            self._tls = tls_context()
            for scheme in ("http", "https"):
                proxy = proxy_for(httpx2.URL(f"{scheme}://statusstream.invalid/"))
                try:
                    probe = open_transport(self._tls, proxy)
                except (ImportError, ValueError, httpx2.HTTPError) as exc:
                    # Not the proxy's URL itself: it may hold a password.
                    message = f"cannot use the proxy the environment names for {scheme}: {exc}"
                    raise UsageError(message) from exc
                await probe.aclose()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for transport in self._by_origin.values():
            await transport.aclose()


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


def proxy_for(url: httpx2.URL) -> str | None:
    """The proxy the environment names for `url`, or None (none, or `NO_PROXY` says so)."""
    proxies = urllib.request.getproxies_environment()
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # stubs lack it
    if bypass(url.host, proxies):
        return None
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if proxy and "://" not in proxy:  # `proxy:3128`, as curl and httpx2 read it
        proxy = f"http://{proxy}"
    return proxy or None


def open_transport(tls: ssl.SSLContext | None = None, proxy: str | None = None) -> Transport:
    """A transport as statusstream uses one: keep-alive, no timeouts of its own (the caller's
    deadline covers the whole exchange), reads counted.

    The pool does not cap connections: the runner's limits on polls in flight do.
    """
    transport = httpx2.AsyncHTTPTransport(
        verify=tls if tls is not None else True,
        trust_env=True,
        limits=httpx2.Limits(max_connections=None, keepalive_expiry=KEEPALIVE),
        proxy=proxy,
    )
    for pool in pools(transport):
        pool._network_backend = _CountingBackend(pool._network_backend)
    return transport


def pools(transport: Transport) -> list[httpcore2.AsyncConnectionPool]:
    """The connection pool under `transport`, direct or through a proxy.

    httpcore2 takes a network backend, but httpx2's transport does not pass one through, so
    `open_transport` sets it on the pool found here. Should httpx2 ever build it
    differently, the tests of the wire cap fail (this finds none).
    """
    pool = getattr(transport, "_pool", None)
    return [pool] if isinstance(pool, httpcore2.AsyncConnectionPool) else []


async def close_idle(transport: Transport, url: httpx2.URL) -> None:
    """Close the idle connections to `url`'s origin: one went stale, so may the others."""
    port = url.port or (443 if url.scheme == "https" else 80)
    origin = httpcore2.Origin(url.raw_scheme, url.raw_host, port)
    for pool in pools(transport):
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
