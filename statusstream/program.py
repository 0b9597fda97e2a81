"""A command once its options are parsed: FEEDS -> feed definitions, then printed as OPML,
checked, or polled until done or stopped -> an exit code."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import trio

from statusstream import arguments, feeds, opml
from statusstream.errors import UsageError
from statusstream.log import Log, counted
from statusstream.output import Output
from statusstream.runner import Runner
from statusstream.settings import Settings
from statusstream.state import State
from statusstream.statefile import StateFile
from statusstream.terminal import Progress


def run(
    log: Log,
    definitions: tuple[str, ...],
    *,
    check: bool,
    export_opml: bool,
    shard: tuple[int, int] | None,
    settings: Settings,
    state_path: Path | None,
    quiet: bool,
    echo: Callable[[str], None],
) -> int:
    """The exit code of a command over FEEDS `definitions`; `echo` prints `--export-opml`'s
    document on stdout. Expected failures are `StatusStreamError`s."""
    definitions = arguments.default_to_stdin(definitions)
    resolved = arguments.resolve(definitions)
    stdin_text = arguments.read("-") if "-" in resolved else ""

    def load() -> tuple[feeds.FeedSpec, ...]:
        """The files read again (on SIGHUP too); URL and catalog arguments as they were."""
        loaded = feeds.load(arguments.sources(resolved, stdin_text))
        for warning in loaded.warnings:
            log.warning(warning)
        if shard is None:
            return loaded.feeds
        return tuple(spec for spec in loaded.feeds if feeds.in_shard(spec.url, *shard))

    specs = load()
    if export_opml:
        echo(opml.document((spec.name, spec.url) for spec in specs))
        return 0
    if not specs and shard is None:
        message = f"no feeds defined in {', '.join(definitions)}"
        raise UsageError(message)
    if check:
        if not quiet:
            log.info(f"{counted(len(specs), 'feed')} defined, no problems")
        return 0
    return _poll(log, specs, load, settings=settings, state_path=state_path, quiet=quiet)


def _poll(
    log: Log,
    specs: tuple[feeds.FeedSpec, ...],
    load: Callable[[], tuple[feeds.FeedSpec, ...]],
    *,
    settings: Settings,
    state_path: Path | None,
    quiet: bool,
) -> int:
    """Poll `specs` once (`--once`) or until a signal; `load` reads the definitions again."""
    state_file = StateFile(state_path) if state_path is not None else None
    state = state_file.open() if state_file is not None else State()
    progress = Progress(len(specs)) if settings.progress else None
    output = Output(
        None if sys.stdout is None else sys.stdout.fileno(),  # None: started with fd 1 closed
        human=settings.human,
        before_write=progress.clear if progress else None,
    )
    try:
        runner = Runner(settings, state, state_file, output, log, reload=load, progress=progress)
        outcome = trio.run(runner.run, specs, restrict_keyboard_interrupt_to_checkpoints=True)
    finally:
        output.close()
        if state_file is not None:
            state_file.close()
    if outcome.interrupted is not None and settings.once:
        return 128 + outcome.interrupted
    if outcome.interrupted is not None:
        log.info(f"stopped by {signal.Signals(outcome.interrupted).name}; state saved")
        return 0
    if settings.once and not quiet:
        log.info(outcome.tally.summary(outcome.written))
    return 1 if settings.once and outcome.tally.failed else 0
