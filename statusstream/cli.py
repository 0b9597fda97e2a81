"""The command line: options -> settings -> run -> exit code. The only module that imports click."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TextIO

import click
from click.shell_completion import CompletionItem

from statusstream.errors import StatusStreamError
from statusstream.log import LEVELS, Log
from statusstream.timeutil import ALL_TIME, parse_duration

# What a run needs (trio, httpx2, the poller) is imported when it starts, not here: each parsing
# worker process imports this module again as its `__main__` (the spawn start method runs the
# `statusstream` script), and should not pay for all of it. Nor for what one other option
# needs: the catalog (--catalog, completion), the event schema, the package metadata.

EXAMPLES = """
\b
Examples:
  statusstream --once feeds.txt | jq .
  statusstream --once --since 7d https://www.githubstatus.com/history.rss
  statusstream --once github openai stripe
  statusstream feeds.txt | jq -c 'select(.status == "investigating")'
  echo 'GitHub https://www.githubstatus.com/history.rss' | statusstream --once --since 7d
  */5 * * * *  ~/statusstream/.venv/bin/statusstream --once ~/feeds.txt >> ~/incidents.jsonl

\b
Exit codes: 0 done, 1 some feed failed (--once), 2 bad usage, definitions or
state file, 75 state file in use, 130 interrupted.
"""

MAX_PARSE_WORKERS = 8


class Duration(click.ParamType):  # type: ignore[type-arg]
    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Shard(click.ParamType):  # type: ignore[type-arg]
    name = "K/N"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        shard, slash, shards = str(value).partition("/")
        if slash and shard.isdigit() and shards.isdigit() and 1 <= int(shard) <= int(shards):
            return int(shard), int(shards)
        self.fail(f"{value!r} is not K/N with 1 <= K <= N (for example 2/3)", param, ctx)


class Feeds(click.ParamType):  # type: ignore[type-arg]
    """A FEEDS argument: a file, `-`, an http(s) URL or a catalog name (told apart at run time).

    The shell completes file names, and catalog names where no file name starts the same way.
    """

    name = "feeds"

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        from statusstream.arguments import completions  # the catalog (see the imports' note)

        names = completions(incomplete)
        if names:
            return [CompletionItem(name) for name in names]
        return [CompletionItem(incomplete, type="file")]


class Since(Duration):
    name = "duration|all"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if str(value).strip().lower() == "all":
            return ALL_TIME
        return super().convert(value, param, ctx)


@click.command(epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("definitions", metavar="[FEEDS]...", nargs=-1, type=Feeds())
@click.option(
    "--once", is_flag=True, help="Poll every feed once, write new events, save state, exit."
)
@click.option(
    "--interval",
    type=Duration(),
    default="60s",
    show_default=True,
    help="How often each feed is polled (continuous mode).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="State file [default: $STATUSSTREAM_STATE, else $XDG_STATE_HOME/statusstream/state.json].",
)
@click.option("--no-state", is_flag=True, help="Keep state in memory only.")
@click.option(
    "--since",
    type=Since(),
    help="On the first sight of a feed, also emit updates newer than this (or 'all').",
)
@click.option(
    "--idle-interval",
    type=Duration(),
    help="How often a feed whose incidents are all resolved is polled "
    "[default: twice --interval, at most 10m more than it].",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1000),
    default=256,
    show_default=True,
    help="Most requests in flight.",
)
@click.option(
    "--per-host",
    type=click.IntRange(1, 1000),
    default=8,
    show_default=True,
    help="Most requests in flight to one host.",
)
@click.option(
    "--timeout",
    type=Duration(),
    default="30s",
    show_default=True,
    help="Deadline for each request.",
)
@click.option(
    "--shard",
    type=Shard(),
    help="Poll only the feeds whose URL hashes to shard K of N (stable across machines).",
)
@click.option(
    "--json", "json_lines", is_flag=True, help="JSON Lines even when stdout is a terminal."
)
@click.option(
    "--catalog",
    is_flag=True,
    help="Print the built-in catalog of status pages as a feeds file and exit.",
)
@click.option("--schema", is_flag=True, help="Print the JSON Schema of the output events and exit.")
@click.option(
    "--export-opml", is_flag=True, help="Print the feeds (after --shard) as OPML and exit."
)
@click.option(
    "--check", is_flag=True, help="Validate the feed definitions and exit 0 or 2; no network."
)
@click.option("--health", is_flag=True, help="Also emit feed_failing / feed_recovered lines.")
@click.option("-v", "--verbose", is_flag=True, help="More diagnostics on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr (no summary).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format of the diagnostics on stderr.",
)
@click.option(
    "--version", is_flag=True, help="Show the version (with -v, its dependencies') and exit."
)
def cli(
    definitions: tuple[str, ...],
    once: bool,
    interval: float,
    state_path: Path | None,
    no_state: bool,
    since: float | None,
    idle_interval: float | None,
    concurrency: int,
    per_host: int,
    timeout: float,
    shard: tuple[int, int] | None,
    json_lines: bool,
    catalog: bool,
    schema: bool,
    export_opml: bool,
    check: bool,
    health: bool,
    verbose: bool,
    quiet: bool,
    log_format: str,
    version: bool,
) -> None:
    """Follow status pages; write each new incident update to stdout as a JSON line.

    Each of FEEDS is a feed-definition file (one feed per line: [NAME] URL [key=value ...])
    if such a file exists, else an http(s):// URL (one feed) or a name from --catalog;
    '-' or no FEEDS reads definitions from stdin.
    """
    level = LEVELS["debug"] if verbose else LEVELS["warning"] if quiet else LEVELS["info"]
    log = Log(level=level, json_format=log_format == "json")
    if version:
        from statusstream import versions

        click.echo(versions.text(verbose))
        return
    if schema:
        from statusstream.events import json_schema

        click.echo(json.dumps(json_schema(), indent=2))
        return
    if catalog:
        from statusstream.catalog import as_feeds_text

        click.echo(as_feeds_text(), nl=False)
        return
    from statusstream import program
    from statusstream.settings import Settings
    from statusstream.statefile import default_path

    try:
        code = program.run(
            log,
            definitions,
            check=check,
            export_opml=export_opml,
            shard=shard,
            settings=Settings(
                once=once,
                interval=interval,
                idle=idle_interval,
                timeout=timeout,
                concurrency=concurrency,
                per_host=per_host,
                since=since,
                health=health,
                human=not json_lines and _is_terminal(sys.stdout),
                progress=once and not quiet and _is_terminal(sys.stderr),
                parse_workers=_parse_workers(),
            ),
            state_path=None if no_state else state_path or default_path(),
            quiet=quiet,
            echo=lambda text: click.echo(text, nl=False),
        )
    except StatusStreamError as exc:
        if str(exc) and exc.exit_code != 0:
            log.error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code)


def _parse_workers() -> int:
    """One parsing worker per core we may use (twice as many made a cold poll 7% faster and a
    changed one 8% slower: each costs a process start); none on a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores, MAX_PARSE_WORKERS) if cores and cores > 1 else 0


def _is_terminal(stream: TextIO | None) -> bool:
    """A closed descriptor (`>&-`) leaves the stream None: not a terminal."""
    return stream is not None and stream.isatty()


def main() -> None:
    cli()
