"""Malformed and hostile documents: correct events, or one clear line naming the feed.

What a user sees of HTML pages, empty and truncated bodies, charsets and entity bombs. (Any
other document, under Hypothesis, is tests/test_document.py's.)
"""

from __future__ import annotations

import json

from tests.e2e.command import Cli, run
from tests.feedgen import CP1252_TITLE, generic_item, generic_rss, incident, statuspage_rss
from tests.servers import Server

GOOD = statuspage_rss([incident("ok1", "Fine", ("Investigating", "2025-11-03 14:32", "Good."))])


def events(stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_non_feeds_fail_with_one_clear_line_each(server: Server, cli: Cli) -> None:
    """An HTML page, an empty body, a truncated feed and garbage: one line each; others go on."""
    good = server.respond("/good.rss", GOOD)
    page = server.respond("/page", b"<!DOCTYPE html><html><body><p>Status</p></body></html>")
    empty = server.respond("/empty.rss", b"")
    truncated = server.respond("/cut.rss", GOOD[: len(GOOD) // 2])
    garbage = server.respond("/garbage.rss", bytes(range(256)) * 4)
    feeds = cli.feeds(good, f"Page {page}", f"Empty {empty}", f"Cut {truncated}", f"Junk {garbage}")
    result = run(cli, "--once", "--since", "all", feeds)
    assert result.code == 1
    assert [event["title"] for event in events(result.stdout)] == ["Fine"]
    errors = sorted(line for line in result.err.splitlines() if "failing:" in line)
    expected = [
        f"Cut: failing: 127.0.0.1:{server.port}: the document ends early, cut off? (",
        f"Empty: failing: 127.0.0.1:{server.port}: empty body, not an RSS or Atom feed",
        f"Junk: failing: 127.0.0.1:{server.port}: not an RSS or Atom feed (",
        f"Page: failing: 127.0.0.1:{server.port}: an HTML page, not an RSS or Atom feed",
    ]
    assert len(errors) == len(expected)
    for line, start in zip(errors, expected, strict=True):
        assert line.startswith(f"statusstream: error: {start}")
    server.respond("/cut.rss", GOOD)  # the whole document next time: its events, not lost
    again = run(cli, "--once", "--since", "all", feeds)
    assert [event["title"] for event in events(again.stdout)] == ["Fine"]


def test_charsets_declared_wrong_or_not_at_all(server: Server, cli: Cli) -> None:
    """ISO-8859-1, Windows-1252, UTF-16 with a BOM, wrong and missing declarations: right text."""
    latin = "Café down"
    bodies = {
        "latin1": generic_rss(
            generic_item(latin), declaration='<?xml version="1.0" encoding="ISO-8859-1"?>'
        ).encode("latin-1"),
        "cp1252": generic_rss(
            generic_item(CP1252_TITLE), declaration='<?xml version="1.0" encoding="windows-1252"?>'
        ).encode("cp1252"),
        "cp1252-said-latin1": generic_rss(
            generic_item(CP1252_TITLE), declaration='<?xml version="1.0" encoding="ISO-8859-1"?>'
        ).encode("cp1252"),
        "utf16": generic_rss(
            generic_item(CP1252_TITLE), declaration='<?xml version="1.0" encoding="UTF-16"?>'
        ).encode("utf-16"),
        "said-utf8-is-latin1": generic_rss(generic_item(latin)).encode("latin-1"),
        "undeclared-latin1": generic_rss(generic_item(latin), declaration="").encode("latin-1"),
        "bom-no-declaration": b"\xef\xbb\xbf"
        + generic_rss(generic_item(CP1252_TITLE), declaration="").encode(),
    }
    lines = [f"{name} {server.respond(f'/{name}.rss', body)}" for name, body in bodies.items()]
    result = run(cli, "--once", "--since", "all", cli.feeds(*lines))
    assert result.code == 0, result.err
    titles = {str(event["source"]): event["title"] for event in events(result.stdout)}
    in_latin = {"latin1", "said-utf8-is-latin1", "undeclared-latin1"}
    assert titles == {name: latin if name in in_latin else CP1252_TITLE for name in bodies}


def test_entity_bombs_cost_nothing(server: Server, cli: Cli) -> None:
    """Billion laughs and a quadratic blowup are not expanded: small events, small memory."""
    laughs = "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n else "lol"}">' for n in range(10)
    )
    big = "x" * 100_000
    bombs = {
        "laughs": f"<!DOCTYPE rss [{laughs}]>"
        + generic_rss(generic_item("&lol9;")).split("?>", 1)[1],
        "quadratic": f'<!DOCTYPE rss [<!ENTITY big "{big}">]>'
        + generic_rss(generic_item("&big;" * 50_000)).split("?>", 1)[1],
    }
    good = server.respond("/good.rss", GOOD)
    lines = [good] + [
        f"{name} {server.respond(f'/{name}', body.encode())}" for name, body in bombs.items()
    ]
    result = run(cli, "--once", "--since", "all", cli.feeds(*lines))
    assert "Traceback" not in result.err
    assert "Fine" in [event["title"] for event in events(result.stdout)]
    assert len(result.stdout) < 1_000_000
    assert result.peak_mib < 150
