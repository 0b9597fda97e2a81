"""Running the installed `statusstream` command, and reading what it left behind.

`Cli` runs it with a state file and a working directory of the test's own (`cli.run` gives
text); `run` gives bytes and, by default, the peak RSS of the run, which a small wrapper
process reports.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

COMMAND = Path(sys.executable).with_name("statusstream")


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


_MEASURE = """
import resource, subprocess, sys
completed = subprocess.run(sys.argv[2:])
with open(sys.argv[1], "w") as report:
    report.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(completed.returncode)
"""


@dataclass
class Run:
    code: int
    stdout: bytes
    stderr: bytes
    peak_mib: float = field(default=0.0)  # peak resident set size of the process

    @property
    def out(self) -> str:
        return self.stdout.decode()

    @property
    def err(self) -> str:
        return self.stderr.decode()


def run(
    cli: Cli,
    *args: str,
    input: bytes = b"",
    stdout: int | None = subprocess.PIPE,
    env: dict[str, str] | None = None,
    preexec_fn: Callable[[], object] | None = None,
    measure: bool = True,
    timeout: float = 60,
) -> Run:
    """Run the installed command; with `measure`, also its peak RSS (a wrapper reports it)."""
    command = [str(COMMAND), *args]
    report = cli.directory / ".peak-rss"
    if measure:
        command = [sys.executable, "-c", _MEASURE, str(report), *command]
    completed = subprocess.run(
        command,
        input=input,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env or cli.env,
        cwd=cli.directory,
        preexec_fn=preexec_fn,
        timeout=timeout,
    )
    peak = int(report.read_text()) / 1024 if measure else 0.0
    return Run(completed.returncode, completed.stdout or b"", completed.stderr, peak)


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def state_temporaries(state: Path) -> list[Path]:
    """Temporary files of an atomic save left beside the state file."""
    return sorted(state.parent.glob(f".{state.name}.*"))


def no_terminal_controls(data: bytes) -> list[str]:
    """The control characters and bidi overrides in UTF-8 text that could drive a terminal."""
    text = data.decode("utf-8", "backslashreplace")
    return sorted(
        {
            f"U+{ord(char):04X}"
            for char in text
            if (ord(char) < 0x20 and char not in "\n")
            or 0x7F <= ord(char) <= 0x9F
            or 0x202A <= ord(char) <= 0x202E
            or 0x2066 <= ord(char) <= 0x2069
        }
    )


def run_at_terminal(cli: Cli, *args: str) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal; returns the exit code and what it showed."""
    primary, secondary = pty.openpty()
    with subprocess.Popen(
        [str(COMMAND), *args],
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
        env=cli.env,
    ) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=60)
    os.close(primary)
    return code, b"".join(chunks).decode()
