"""Connections to a real nginx on 127.0.0.1: the per-host cap holds, and 304s come from nginx's
own ETag and Last-Modified.

nginx runs from a configuration written into the test's directory, logging each request's
connection serial number (`$connection`), so the connections the command opened are counted
on the server's side.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.command import Cli
from tests.feedgen import incident, statuspage_rss

FEEDS = 20
PER_HOST = 3
# The temporary directories nginx keeps, and the module each belongs to (None: always built).
TEMP_PATHS = {
    "client_body": None,
    "proxy": "http_proxy",
    "fastcgi": "http_fastcgi",
    "uwsgi": "http_uwsgi",
    "scgi": "http_scgi",
}


def nginx_command() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        pytest.skip("nginx is not installed (Debian package nginx-light)")
    return found


@dataclass
class Nginx:
    port: int
    root: Path
    access_log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log(self) -> list[tuple[str, str, int]]:
        """Each request logged so far: (connection serial number, request line, status)."""
        entries = []
        for line in self.access_log.read_text().splitlines():
            connection, rest = line.split(" ", 1)
            request, status = rest.rsplit(" ", 1)
            entries.append((connection, request, int(status)))
        return entries


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configuration(directory: Path, port: int, built: str) -> str:
    temp_paths = "".join(
        f"    {name}_temp_path {directory / name};\n"
        for name, module in TEMP_PATHS.items()
        if module is None or f"--without-{module}_module" not in built
    )
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'};\nevents {{ worker_connections 256; }}\n"
        "http {\n"
        "    log_format connections '$connection $request $status';\n"
        f"    access_log {directory / 'access.log'} connections;\n"
        f"{temp_paths}"
        f"    server {{ listen 127.0.0.1:{port}; root {directory / 'www'}; }}\n"
        "}\n"
    )


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Nginx]:
    """nginx serving `tmp_path/nginx/www` on a free port of 127.0.0.1, stopped at teardown."""
    command = nginx_command()
    directory = tmp_path / "nginx"
    (directory / "www").mkdir(parents=True)
    built = subprocess.run([command, "-V"], capture_output=True, text=True, check=True).stderr
    port = free_port()
    config = directory / "nginx.conf"
    config.write_text(configuration(directory, port, built))
    started = [command, "-p", str(directory), "-e", str(directory / "error.log"), "-c", str(config)]
    process = subprocess.Popen(started, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    errors = process.stderr.read().decode() if process.stderr else ""
                    log = directory / "error.log"
                    errors += log.read_text() if log.exists() else ""
                    pytest.fail(f"nginx did not start: {errors}")
                time.sleep(0.05)
        yield Nginx(port, directory / "www", directory / "access.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_twenty_feeds_on_one_host_use_at_most_per_host_connections_and_get_304s(
    nginx: Nginx, cli: Cli
) -> None:
    """20 feeds on one nginx with --per-host 3: at most 3 connections; a second run, 20 x 304."""
    paths = [f"/feed-{number:02}.rss" for number in range(FEEDS)]
    for number, path in enumerate(paths):
        update = ("Investigating", "2025-11-03 14:32", f"Feed {number} is down.")
        body = statuspage_rss([incident(f"inc{number}", f"Outage {number}", update)])
        (nginx.root / path.lstrip("/")).write_bytes(body)
    feeds = cli.feeds(*(nginx.url(path) for path in paths))
    state = str(cli.directory / "connections-state.json")
    options = ["--once", "--since", "all", "--per-host", str(PER_HOST), "--state", state, feeds]

    first = cli.run(*options)
    assert first.code == 0, first.stderr
    assert len(first.lines) == FEEDS
    polled = nginx.log()
    assert sorted(request for _, request, _ in polled) == [f"GET {path} HTTP/1.1" for path in paths]
    assert {status for _, _, status in polled} == {200}
    assert 1 <= len({connection for connection, _, _ in polled}) <= PER_HOST

    second = cli.run(*options)
    assert second.code == 0, second.stderr
    assert second.lines == []
    repolled = nginx.log()[len(polled) :]
    assert len(repolled) == FEEDS
    assert [status for _, _, status in repolled] == [304] * FEEDS
    assert len({connection for connection, _, _ in repolled}) <= PER_HOST
