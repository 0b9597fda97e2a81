"""What stderr tells a user and cron: which feed failed, where and why, per poll with -v.

Every test runs the installed command; the terminal tests give it a pseudo-terminal.
"""

from __future__ import annotations

import re
import socket
import time

from tests.e2e.command import Cli, run_at_terminal
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server

API = incident("api", "API errors", ("Investigating", "2025-11-03 14:32", "Looking into it."))
FIXED = incident(
    "api",
    "API errors",
    ("Investigating", "2025-11-03 14:32", "Looking into it."),
    ("Resolved", "2025-11-03 15:10", "Fixed."),
)


def refused_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_every_once_run_names_every_failed_feed_even_with_q(server: Server, cli: Cli) -> None:
    """cron with -q: each run names each feed that failed, with its host and port and the
    reason, not only the run in which it started failing."""
    port = refused_port()
    good = server.serve("/good.rss", statuspage_rss([API]))
    feeds = cli.feeds(f"Good {good}", f"Down http://127.0.0.1:{port}/feed.rss")
    for polls in (1, 2, 3):
        result = cli.run("--once", "-q", feeds)
        assert result.code == 1
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        said = "failing" if polls == 1 else f"still failing ({polls} polls)"
        expected = f"Down: {said}: 127.0.0.1:{port}: cannot connect: connection refused"
        assert lines[0] == f"statusstream: error: {expected}"


def test_network_errors_name_the_host_and_a_readable_reason(cli: Cli) -> None:
    """A name that does not resolve says so and names the host; no bare exception names."""
    feeds = cli.feeds("Nowhere https://status.nowhere.invalid/history.rss")
    result = cli.run("--once", feeds)
    assert result.code == 1
    assert "Nowhere: failing: status.nowhere.invalid: cannot connect: name not found" in (
        result.stderr
    )
    assert "ConnectError" not in result.stderr


def test_verbose_says_what_each_poll_did(server: Server, cli: Cli) -> None:
    """-v: a 304, a change with its count of new updates, and --since with nothing newer."""
    url = server.serve("/a.rss", statuspage_rss([API]))
    feeds = cli.feeds(f"Acme {url}")
    first = cli.run("--once", "-v", "--since", "1d", feeds)
    assert "Acme: changed: nothing newer than --since" in first.stderr
    again = cli.run("--once", "-v", feeds)
    assert "statusstream: debug: Acme: not modified (304)" in again.stderr
    server.serve("/a.rss", statuspage_rss([FIXED]))
    changed = cli.run("--once", "-v", feeds)
    assert "statusstream: debug: Acme: changed: 1 new update" in changed.stderr
    assert len(changed.stdout.splitlines()) == 1


def test_verbose_continuous_mode_reports_each_poll_after_the_baseline(
    server: Server, cli: Cli
) -> None:
    """A continuous run is not silent with -v once its baseline is taken."""
    url = server.serve("/a.rss", statuspage_rss([API]))
    with cli.popen("-v", "--interval", "1s", cli.feeds(f"Acme {url}")) as process:
        time.sleep(3.5)
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Acme: first poll: 1 incident recorded as the baseline" in stderr
    assert stderr.count("Acme: not modified (304)") >= 2


def test_a_feed_under_retry_after_is_deferred_not_failed(server: Server, cli: Cli) -> None:
    """A 503 with Retry-After fails once; the next --once run defers it: said so, counted
    apart in the summary, and exit 0 when nothing else failed."""
    good = server.serve("/good.rss", statuspage_rss([API]))
    busy = server.serve("/busy.rss", b"busy", status=503, headers={"Retry-After": "3600"})
    feeds = cli.feeds(f"Good {good}", f"Busy {busy}")
    first = cli.run("--once", feeds)
    assert first.code == 1
    assert f"Busy: failing: 127.0.0.1:{server.port}: HTTP 503" in first.stderr
    second = cli.run("--once", feeds)
    assert second.code == 0, second.stderr
    assert re.search(r"Busy: deferred: the server asked to wait 3[56]\d\ds more", second.stderr)
    summary = "1 feed polled: 1 not modified, 0 changed, 0 failed; 1 deferred (not asked)"
    assert summary in second.stderr
    assert len(server.hits("/busy.rss")) == 1


def test_the_progress_line_is_wiped_before_json_lines_at_a_terminal(
    server: Server, cli: Cli
) -> None:
    """--json at a terminal: no event line starts on the progress line's text."""
    urls = [server.serve(f"/{n}.rss", statuspage_rss([API])) for n in range(3)]
    server.serve("/0.rss", statuspage_rss([API]), delay=0.6)
    code, shown = run_at_terminal(cli, "--once", "--json", "--since", "all", cli.feeds(*urls))
    assert code == 0, shown
    assert shown.count('{"id"') == 3
    for match in re.finditer(r'\{"id"', shown):
        before = shown[: match.start()]
        assert before == "" or before.endswith(("\n", "\r\x1b[K")), repr(before[-40:])
    assert "feeds{" not in shown


def test_an_unreadable_ca_bundle_is_a_one_line_error_before_any_request(
    server: Server, cli: Cli
) -> None:
    """SSL_CERT_FILE naming a missing or broken file: exit 2 naming it, nothing polled."""
    url = server.serve("/a.rss", statuspage_rss([API]))
    bundle = cli.directory / "broken.pem"
    bundle.write_text("not a certificate\n")
    for path in (str(bundle), str(cli.directory / "missing.pem")):
        cli.env["SSL_CERT_FILE"] = path
        result = cli.run("--once", url)
        assert result.code == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert f"cannot load the certificate authorities (SSL_CERT_FILE={path}" in result.stderr
    assert server.requests == []
