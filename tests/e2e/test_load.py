"""Load: 2,000 feeds in one `--once` run, a third of them failing in six different ways."""

from __future__ import annotations

import json
import re
from collections import Counter

from tests.e2e.command import Cli, run
from tests.feedgen import incident, statuspage_rss
from tests.servers import Server, refused_url

FEEDS = 2000
FAILURES = ("404", "500", "garbage", "hang", "refused", "reset")


def test_2000_feeds_a_third_failing(server: Server, cli: Cli) -> None:
    """Completes with exit 1, every good feed's event written, no traceback, bounded memory."""
    good: list[str] = []
    lines = []
    kinds: Counter[str] = Counter()
    refused = refused_url("")
    for number in range(FEEDS):
        kind = FAILURES[number // 3 % len(FAILURES)] if number % 3 == 0 else "good"
        path = f"/{kind}/{number}.rss"
        kinds[kind] += 1
        if kind == "good":
            feed = incident(
                f"i{number}", f"Incident {number}", ("Investigating", "2025-11-03 14:32", "x")
            )
            url = server.respond(path, statuspage_rss([feed], host=f"s{number}.example.test"))
            good.append(url)
        elif kind == "500":
            url = server.respond(path, b"oops", status=500, reason=b"Internal Server Error")
        elif kind == "garbage":
            url = server.respond(path, bytes(range(256)) * 8)
        elif kind == "hang":
            url = server.hang(path)
        elif kind == "reset":
            url = server.reset(path)
        elif kind == "refused":
            url = refused + path
        else:
            url = server.url(path)  # no route: 404
        lines.append(url)
    result = run(
        cli, "--once", "--since", "all", "--timeout", "2s", "--concurrency", "100",
        "--per-host", "100", cli.feeds(*lines), timeout=120,
    )  # fmt: skip
    assert result.code == 1, result.err[-2000:]
    assert "Traceback" not in result.err
    written = {json.loads(line)["feed"] for line in result.stdout.splitlines()}
    assert written == set(good)
    failed = FEEDS - len(good)
    assert (
        f"{FEEDS} feeds polled: 0 not modified, {len(good)} changed, {failed} failed" in result.err
    )
    reasons = re.findall(
        r"failing: (?:127\.0\.0\.1:\d+: )?"
        r"(HTTP \d+|not an RSS|timed out|cannot connect|network error)",
        result.err,
    )
    assert Counter(reasons) == {
        "HTTP 404": kinds["404"],
        "HTTP 500": kinds["500"],
        "not an RSS": kinds["garbage"],
        "timed out": kinds["hang"],
        "cannot connect": kinds["refused"],
        "network error": kinds["reset"],
    }
    assert result.peak_mib < 150
