"""Shell completion after the README's `eval` line: file names and catalog names for FEEDS."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.command import COMMAND, Cli


def complete(cli: Cli, *words: str) -> list[str]:
    """What click answers bash for the last of `words` (`type,value` lines)."""
    env = {
        **cli.env,
        "_STATUSSTREAM_COMPLETE": "bash_complete",
        "COMP_WORDS": " ".join(["statusstream", *words]),
        "COMP_CWORD": str(len(words)),
    }
    completed = subprocess.run(
        [str(COMMAND)], capture_output=True, text=True, env=env, cwd=cli.directory, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.splitlines()


def test_feeds_complete_as_file_names(cli: Cli) -> None:
    """`statusstream --once feeds.t<TAB>` asks the shell for file names."""
    cli.feeds("https://a.test/feed")
    assert complete(cli, "--once", "feeds.t") == ["file,feeds.t"]
    assert complete(cli, "--once", "") == ["file,"]
    assert complete(cli, "--once", "feeds.txt", "./sub/") == ["file,./sub/"]


def test_a_word_no_file_starts_with_completes_as_catalog_names(cli: Cli) -> None:
    """`githu<TAB>` with no such file offers the catalog name `github`."""
    assert complete(cli, "--once", "githu") == ["plain,github"]
    assert complete(cli, "--once", "GitL") == ["plain,gitlab"]


def test_a_file_that_starts_like_a_catalog_name_wins(cli: Cli) -> None:
    """Where a file name starts with what was typed, files are offered, not catalog names."""
    (cli.directory / "github-feeds.txt").write_text("github\n")
    assert complete(cli, "--once", "githu") == ["file,githu"]


def bash_at_a_terminal(directory: Path, typed: bytes, expected: bytes) -> bytes:
    """Type `typed` into an interactive bash that ran the README's `eval` line; what it shows,
    once `expected` is shown (or after 15 seconds)."""
    env = {
        "PATH": f"{COMMAND.parent}:/usr/bin:/bin",
        "HOME": str(directory),
        "TERM": "dumb",
        "PS1": "$ ",
        "INPUTRC": "/dev/null",
        **{key: value for key, value in os.environ.items() if key.startswith("PYTHON")},
    }
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        ["bash", "--norc", "--noprofile", "-i"],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=directory,
        start_new_session=True,
    )
    os.close(secondary)

    def read_until(marker: bytes, timeout: float = 20) -> bytes:
        shown = b""
        deadline = time.monotonic() + timeout
        while marker not in shown and time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.1)
            if ready:
                try:
                    shown += os.read(primary, 4096)
                except OSError:
                    break
        return shown

    try:
        os.write(primary, b'eval "$(_STATUSSTREAM_COMPLETE=bash_source statusstream)"\n')
        read_until(b"\n$ ")
        os.write(primary, typed)
        return read_until(expected, timeout=15)
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(primary)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_a_definitions_file_at_a_terminal(cli: Cli) -> None:
    """In bash, `statusstream --once feeds.t<TAB>` becomes `feeds.txt`; `githu<TAB>` `github`."""
    cli.feeds("https://a.test/feed")
    expected = b"statusstream --once feeds.txt "
    assert expected in bash_at_a_terminal(cli.directory, b"statusstream --once feeds.t\t", expected)
    expected = b"statusstream --once github "
    assert expected in bash_at_a_terminal(cli.directory, b"statusstream --once githu\t", expected)
