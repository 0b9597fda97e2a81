"""What a terminal shows: readable lines and a progress line, and never a raw control
sequence from a server.

On stdout JSON escapes what it must; on stderr every line is cleaned. The payloads are the
classics: ANSI colour and screen clearing, an OSC title change ended by BEL, the 8-bit CSI
(U+009B), a bidi override (U+202E), and a bare carriage return.
"""

from __future__ import annotations

import json
import os
import subprocess
from html import escape

from tests.e2e.command import COMMAND, Cli, no_terminal_controls, run, run_at_terminal
from tests.feedgen import StatusIncident, incident, statuspage_rss
from tests.servers import Server

NASTY = "\x1b[2J\x1b[31mred\x1b]0;pwned\x07\x9b31m\u202eevil\rover\x08\x7f"


def nasty_feed() -> bytes:
    """A Statuspage-like feed with the payload in every field a server controls."""
    link = f"https://status.example.test/incidents/x{NASTY}"
    description = (
        "<p><small>Nov <var data-var='date'> 3</var>, <var data-var='time'>14:32</var> UTC"
        f"</small><br><strong>Investigating</strong> - Looking {NASTY}.</p>"
        f"<p>This incident affected: API{NASTY}, Web.</p>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Status {NASTY}</title><link>https://status.example.test</link>"
        f"<item><title>Down {NASTY}</title><description>{escape(description)}</description>"
        f"<pubDate>Mon, 03 Nov 2025 14:32:00 +0000</pubDate><link>{escape(link)}</link>"
        f"<guid>{escape(link)}</guid></item>"
        "</channel></rss>"
    )
    # XML 1.0 cannot carry C0 controls; a hostile server sends them anyway, so the
    # document falls to feedparser's forgiving parser with the bytes intact.
    return xml.encode()


def generic_feed() -> bytes:
    """An Atom feed (the generic provider) with the payload in every field."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom {escape(NASTY)}</title><id>urn:feed</id>"
        f"<entry><title>Entry {escape(NASTY)}</title><id>urn:{escape(NASTY)}</id>"
        f'<link href="https://example.test/{escape(NASTY)}"/>'
        f"<updated>2025-11-03T14:32:00Z</updated><content type='html'>{escape(NASTY)}</content>"
        "</entry></feed>"
    ).encode()


API = StatusIncident(
    "api1",
    "API errors",
    incident("api1", "", ("Investigating", "2025-11-03 14:32", "Looking.")).updates,
    components=("API",),
)


def test_feed_text_reaches_stdout_escaped(server: Server, cli: Cli) -> None:
    """Controls in titles, text, links, guids and components never appear raw in JSON output."""
    statuspage = server.respond("/nasty.rss", nasty_feed())
    generic = server.respond("/nasty.atom", generic_feed())
    result = run(cli, "--once", "--since", "all", cli.feeds(statuspage, generic))
    assert result.code == 0, result.err
    assert no_terminal_controls(result.stdout) == []
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(event["provider"] for event in found) == ["generic", "statuspage"]
    for event in found:
        for name in ("source", "title", "message", "status"):
            assert no_terminal_controls(str(event[name]).encode()) == [], name
        assert all(no_terminal_controls(part.encode()) == [] for part in event["components"])
    assert any("\u202e" in str(event["incident"]) for event in found)  # data: escaped, kept


def test_readable_lines_on_a_terminal_are_clean(server: Server, cli: Cli) -> None:
    """On a terminal (the readable one-line format) no control sequence from a feed is written."""
    url = server.respond("/nasty.rss", nasty_feed())
    primary, secondary = os.openpty()
    with subprocess.Popen(
        [str(COMMAND), "--once", "--since", "all", cli.feeds(url)],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=subprocess.PIPE,
        env=cli.env,
        cwd=cli.directory,
    ) as process:
        os.close(secondary)
        written = b""
        while True:
            try:
                data = os.read(primary, 65536)
            except OSError:  # EIO: the other end closed
                break
            if not data:
                break
            written += data
        _, stderr = process.communicate(timeout=60)
    os.close(primary)
    assert process.returncode == 0, stderr
    lines = written.replace(b"\r\n", b"\n")
    assert b"Down" in lines
    assert no_terminal_controls(lines) == []


def test_server_text_reaches_stderr_clean(server: Server, cli: Cli) -> None:
    """Reason phrases, feed titles, declared encodings and codings are cleaned in diagnostics."""
    raw = NASTY.encode()
    reason = b"Boom " + raw.replace(b"\r", b"")  # a bare CR would break the status line
    bad_reason = server.respond("/reason.rss", b"", status=500, reason=reason)
    titled = server.respond("/titled.rss", nasty_feed())
    declared = server.respond(
        "/declared.rss", b'<?xml version="1.0" encoding="' + raw + b'"?><html><p>not a feed'
    )
    coding = server.respond("/coding.rss", b"x", headers={"Content-Encoding": NASTY[:9]})
    feeds = cli.feeds(bad_reason, titled, declared, coding)
    for log_format in ("text", "json"):
        cli.state.unlink(missing_ok=True)
        result = run(cli, "--once", "-v", "--health", "--log-format", log_format, feeds)
        assert result.code == 1
        assert "Traceback" not in result.err
        assert no_terminal_controls(result.stderr) == []
        assert no_terminal_controls(result.stdout) == []
        assert "HTTP 500 Boom" in result.err
        assert "Status [2J" in result.err  # the feed's title names it in the baseline note
        assert len([line for line in result.stdout.splitlines() if b"feed_failing" in line]) == 3


def test_terminal_gets_readable_lines(server: Server, cli: Cli) -> None:
    """At a terminal: one readable line per event; --json restores JSON Lines."""
    url = server.serve("/a.rss", statuspage_rss([API], title="Acme Status"))
    feeds = cli.feeds(f"Acme {url}")
    code, shown = run_at_terminal(cli, "--once", "--since", "all", "--no-state", feeds)
    assert code == 0
    assert "2025-11-03 14:32Z  Acme  INVESTIGATING  API errors [API]" in shown
    assert '{"id"' not in shown
    code, shown = run_at_terminal(cli, "--once", "--since", "all", "--no-state", "--json", feeds)
    line = next(line for line in shown.splitlines() if '{"id"' in line)
    assert json.loads(line[line.index("{") :])["title"] == "API errors"


def test_progress_only_at_a_terminal(server: Server, cli: Cli) -> None:
    """A --once run shows done/total on a terminal's stderr, never on a pipe's."""
    urls = [server.serve(f"/{n}.rss", statuspage_rss([API])) for n in range(5)]
    feeds = cli.feeds(*urls)
    _, shown = run_at_terminal(cli, "--once", "--no-state", feeds)
    assert "5/5 feeds" in shown
    piped = cli.run("--once", "--no-state", feeds)
    assert "/5 feeds" not in piped.stderr
