"""FEEDS on the command line: files, URLs and catalog names, as a new user types them."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import time

from statusstream import catalog
from tests.e2e.command import COMMAND, Cli, wait_for
from tests.feedgen import DOWN, FIXED, OTHER, statuspage_rss
from tests.servers import Server

THREE = "not a file, an http(s):// URL or a catalog name"


def test_a_url_argument_is_one_feed(server: Server, cli: Cli) -> None:
    """`statusstream --once URL` polls that URL: no 'cannot read', events on stdout, exit 0."""
    url = server.serve("/history.rss", statuspage_rss([FIXED], title="Acme Status"))
    result = cli.run("--once", "--since", "all", url)
    assert result.code == 0, result.stderr
    events = [json.loads(line) for line in result.lines]
    assert [(event["feed"], event["status"]) for event in events] == [
        (url, "investigating"),
        (url, "resolved"),
    ]
    assert "cannot read" not in result.stderr


def test_a_catalog_name_argument_is_that_page(cli: Cli) -> None:
    """`statusstream github` is the catalog's GitHub feed, in any case, with its title."""
    entry = catalog.lookup("github")
    assert entry is not None
    result = cli.run("--export-opml", "GitHub")
    assert result.code == 0, result.stderr
    assert f'title="{entry.title}" xmlUrl="{entry.url}"' in result.stdout
    checked = cli.run("--check", "github", "openai")
    assert (checked.code, checked.stderr) == (0, "statusstream: 2 feeds defined, no problems\n")


def test_an_existing_file_wins_over_a_catalog_name(server: Server, cli: Cli) -> None:
    """A file called `github` in the working directory is read as definitions, as SPEC says."""
    url = server.serve("/mine.rss", statuspage_rss([DOWN]))
    (cli.directory / "github").write_text(f"Mine {url}\n")
    result = cli.run("--export-opml", "github")
    assert result.code == 0, result.stderr
    assert f'title="Mine" xmlUrl="{url}"' in result.stdout


def test_files_urls_and_names_mix(server: Server, cli: Cli) -> None:
    """A file, a URL and stdin (`-`) in one run: every feed is polled once."""
    first = server.serve("/a.rss", statuspage_rss([DOWN]))
    second = server.serve("/b.rss", statuspage_rss([OTHER]))
    third = server.serve("/c.rss", statuspage_rss([OTHER]))
    result = cli.run("--once", cli.feeds(first), second, "-", input=f"{third}\n")
    assert result.code == 0, result.stderr
    assert [len(server.hits(path)) for path in ("/a.rss", "/b.rss", "/c.rss")] == [1, 1, 1]


def test_a_near_catalog_name_is_a_usage_error_with_a_hint(server: Server, cli: Cli) -> None:
    """A misspelt name: exit 2 naming the three possibilities and the close catalog name."""
    url = server.serve("/a.rss", statuspage_rss([DOWN]))
    result = cli.run("--once", url, "githb")
    assert result.code == 2
    assert result.stderr == (
        f"statusstream: error: 'githb' is {THREE}; did you mean 'github' from the catalog?\n"
    )
    assert server.requests == []


def test_a_missing_file_is_a_usage_error_naming_the_three(cli: Cli) -> None:
    """A file name that does not exist: exit 2, the three possibilities, no traceback."""
    result = cli.run("--once", "feeds.txtt")
    assert result.code == 2
    assert result.stderr == (
        f"statusstream: error: 'feeds.txtt' is {THREE} (statusstream --catalog lists the names)\n"
    )


def test_a_url_argument_without_a_scheme_gets_the_https_form(cli: Cli) -> None:
    """`statusstream www.githubstatus.com/history.rss`: exit 2 with the `https://` form."""
    result = cli.run("--once", "www.githubstatus.com/history.rss")
    assert result.code == 2
    assert result.stderr.endswith("; did you mean 'https://www.githubstatus.com/history.rss'?\n")


def test_a_bad_url_argument_names_the_argument(cli: Cli) -> None:
    """An unsupported scheme or an impossible host on the command line: exit 2, which one."""
    result = cli.run("--check", "github", "ftp://a.test/feed", f"https://{'a' * 64}.test/")
    assert result.code == 2
    assert result.stderr.splitlines() == [
        "statusstream: error: argument 2: unsupported scheme 'ftp' in 'ftp://a.test/feed'"
        " (only http and https)",
        "statusstream: error: argument 3: a host name label of 64 characters (at most 63)"
        f" in 'https://{'a' * 64}.test/'",
    ]


def test_a_directory_is_not_a_definitions_file(cli: Cli) -> None:
    """A directory argument that is no catalog name is a usage error that says so."""
    (cli.directory / "conf").mkdir()
    result = cli.run("--check", "conf")
    assert result.code == 2
    message = "'conf' is a directory, not a feed-definition file"
    assert result.stderr == f"statusstream: error: {message}\n"


def test_sighup_rereads_files_and_keeps_url_arguments(server: Server, cli: Cli) -> None:
    """SIGHUP re-reads the file argument; the URL argument stays followed."""
    first = server.serve("/a.rss", statuspage_rss([DOWN]))
    second = server.serve("/b.rss", statuspage_rss([OTHER]))
    kept = server.serve("/kept.rss", statuspage_rss([DOWN]))
    feeds = cli.feeds(first)
    with cli.popen("--interval", "0.5s", kept, feeds) as process:
        assert process.stdout is not None
        wait_for(lambda: len(server.hits("/kept.rss")) >= 1 and len(server.hits("/a.rss")) >= 1)
        cli.feeds(second)
        process.send_signal(signal.SIGHUP)
        wait_for(lambda: len(server.hits("/b.rss")) >= 1)
        server.serve("/kept.rss", statuspage_rss([FIXED]))
        event = json.loads(process.stdout.readline())
        dropped = len(server.hits("/a.rss"))
        time.sleep(1.5)
        assert len(server.hits("/a.rss")) == dropped  # gone from the file, no longer polled
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert (event["feed"], event["status"]) == (kept, "resolved")


def test_one_url_spelt_two_ways_is_polled_once(server: Server, cli: Cli) -> None:
    """The same URL with another host case and a trailing dot: one request, a warning."""
    url = server.serve("/a.rss", statuspage_rss([DOWN]))
    other = url.replace("127.0.0.1", "127.0.0.1.")
    result = cli.run("--once", url, cli.feeds(other.replace("http://", "HTTP://")))
    assert result.code == 0, result.stderr
    assert len(server.hits("/a.rss")) == 1
    assert "is already defined at argument 1; using that one" in result.stderr


def test_a_host_label_over_63_characters_is_a_definition_error(server: Server, cli: Cli) -> None:
    """A 64-character label: `file:line:` from --check and from a run, exit 2, no traceback."""
    url = server.serve("/a.rss", statuspage_rss([DOWN]))
    feeds = cli.feeds(url, f"https://{'x' * 64}.example.com/feed.rss")
    for option in ("--check", "--once"):
        result = cli.run(option, feeds)
        assert result.code == 2
        assert result.stderr.startswith(
            f"statusstream: error: {feeds}:2: a host name label of 64 characters (at most 63)"
        )
        assert "Traceback" not in result.stderr
    assert server.requests == []


def test_check_on_a_file_without_feeds_exits_2(cli: Cli) -> None:
    """`--check` on a file of comments fails like a run does: exit 2, 'no feeds defined'."""
    feeds = cli.feeds("# nothing yet")
    for option in ("--check", "--once"):
        result = cli.run(option, feeds)
        assert (result.code, result.stderr) == (
            2,
            f"statusstream: error: no feeds defined in {feeds}\n",
        )


def test_check_counts_one_feed_in_the_singular(server: Server, cli: Cli) -> None:
    """`--check` on one feed says '1 feed defined', not '1 feeds'."""
    result = cli.run("--check", cli.feeds(server.url("/a.rss")))
    assert (result.code, result.stderr) == (0, "statusstream: 1 feed defined, no problems\n")


def test_the_catalog_piped_back_and_a_bare_name_give_one_source(cli: Cli) -> None:
    """`--catalog | grep` and a catalog name on the command line name the feed alike."""
    printed = cli.run("--catalog").stdout
    chosen = "".join(line + "\n" for line in printed.splitlines() if line.startswith("github "))
    piped = cli.run("--export-opml", input=chosen)
    named = cli.run("--export-opml", "github")
    in_a_file = cli.run("--export-opml", cli.feeds("github"))
    assert piped.code == named.code == 0, piped.stderr + named.stderr
    assert piped.stdout == named.stdout == in_a_file.stdout
    assert 'title="GitHub"' in named.stdout


def test_no_feeds_at_a_terminal_mentions_urls_and_names(cli: Cli) -> None:
    """No FEEDS with stdin a terminal: exit 2 with a hint that a URL or a catalog name works too."""
    primary, secondary = pty.openpty()
    try:
        completed = subprocess.run(
            [str(COMMAND), "--once"], stdin=secondary, capture_output=True, text=True, env=cli.env
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert completed.returncode == 2
    assert "no feed definitions" in completed.stderr
    assert "give a file, a URL or a catalog name" in completed.stderr


def test_no_feeds_with_stdin_closed_is_a_usage_error(cli: Cli) -> None:
    """Started with fd 0 closed (`<&-`) and no FEEDS: a one-line error, no traceback."""
    completed = subprocess.run(
        [str(COMMAND), "--check"],
        stdin=None,
        capture_output=True,
        text=True,
        env=cli.env,
        preexec_fn=lambda: os.close(0),
        timeout=60,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "stdin is closed" in completed.stderr
