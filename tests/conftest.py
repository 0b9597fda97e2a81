"""Shared fixtures: a real HTTP server on 127.0.0.1 and the installed `statusstream` command."""

from __future__ import annotations

import email.utils
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REAL_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
COMMAND = Path(sys.executable).with_name("statusstream")


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # serve an ETag and Last-Modified and answer 304 to a matching request
    delay: float = 0.0


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


class FeedServer:
    """Serves `routes`; honours If-None-Match / If-Modified-Since like nginx does."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.posts: list[bytes] = []  # bodies POSTed to any path (a webhook's receiver)
        self._modified: dict[str, float] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append(
                    Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
                )
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", {})
                    return
                if route.delay:
                    time.sleep(route.delay)
                headers = dict(route.headers)
                if route.etag and route.status == 200:
                    etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
                    modified = email.utils.formatdate(server._modified[self.path], usegmt=True)
                    headers.setdefault("ETag", etag)
                    headers.setdefault("Last-Modified", modified)
                    if self.headers.get("If-None-Match") == etag:
                        self._send(304, b"", headers)
                        return
                self._send(route.status, route.body, headers)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                server.posts.append(self.rfile.read(length))
                self._send(200, b"ok", {"Content-Type": "text/plain"})

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                headers.setdefault("Content-Type", "application/rss+xml")
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def serve(self, path: str, body: bytes, **options: object) -> str:
        """Serve `body` at `path` (replacing what was there); returns its URL."""
        self.routes[path] = Route(body=body, **options)  # type: ignore[arg-type]
        self._modified[path] = time.time()
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    feed_server = FeedServer()
    feed_server.start()
    yield feed_server
    feed_server.stop()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


class Cli:
    """The installed `statusstream` command, with a state file of its own."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.state = directory / "state.json"
        self.env = {
            **os.environ,
            "XDG_STATE_HOME": str(directory / "xdg"),
            "STATUSSTREAM_STATE": str(self.state),
        }

    def run(self, *args: str, input: str | None = None, timeout: float = 60) -> Result:
        completed = subprocess.run(
            [str(COMMAND), *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.directory,
            timeout=timeout,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)

    def popen(self, *args: str, **options: object) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(COMMAND), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.directory,
            **options,  # type: ignore[call-overload]
        )

    def feeds(self, *lines: str) -> str:
        """Write a feeds file; returns its path."""
        path = self.directory / "feeds.txt"
        path.write_text("".join(line + "\n" for line in lines))
        return str(path)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def real_fixtures() -> Path:
    if not REAL_FIXTURES.is_dir():
        pytest.skip(f"real feeds not present at {REAL_FIXTURES} (the shared fixtures folder)")
    return REAL_FIXTURES
