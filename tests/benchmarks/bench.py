"""Benchmark: statusstream polling N Statuspage-like feeds from a local server.

    python tests/benchmarks/bench.py --n 1000            # cold, warm, changed; a markdown table
    python tests/benchmarks/bench.py --n 100 --n 1000 --reps 3
    python tests/benchmarks/bench.py --n 1000 --reps 3 --hosts 100 --rtt 40 --tls   # wide area

Three scenarios, each repetition from a fresh state file (those of shared/bench/README.md):

    cold     first poll of all N feeds: N x 200, every update emitted (`--since all`)
    warm     the same again at once, nothing changed: N x 304, nothing emitted
    changed  10% of the feeds got a new incident and one more update: 0.1 N x 200

The feeds come from `shared/bench/gen_corpus.py` (`generate`, then `mutate` for changed),
called by path and never copied; they are served by a private nginx when there is one
(ETag, Last-Modified, keep-alive, one worker), else by a small threaded Python server with
the same validators. Each run is timed for wall clock, CPU (user + sys of the command and
its children, parsing workers included) and peak RSS, with GNU time when installed, else
`getrusage`. The table gives medians over the repetitions; the request counts and the number
of distinct connections (nginx's `$connection`) come from the server; the state file's size
follows each run, and after `changed` one save of that state is timed (median of 5, in a
process of its own).

Wide area (`--hosts H --rtt MS --tls`, nginx only; see wide_area.py): as in the peer
benchmark, the feeds are spread over H loopback hosts 127.0.1.1 ... 127.0.1.H, each behind
`shared/bench/netproxy.py` (by path, or `--netproxy`), a relay that adds RTT/2 each way and one
more RTT before a connection's first bytes; with `--tls`, https from a private CA made by
openssl in the work directory and handed over as `SSL_CERT_FILE`. CPU and RSS stay the
command's own (the relay's and nginx's are not counted). Read the `conns` column against the
target of at most 400 connections per run.

Not part of the test suite: pytest does not collect it, and it asserts nothing.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from wide_area import Tls, WideArea, add_options, option_error, setup_error

SCENARIOS = ("cold", "warm", "changed")
GEN_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "bench" / "gen_corpus.py"
GNU_TIME = Path("/usr/bin/time")


# -- the corpus --------------------------------------------------------------------------


def gen_corpus(script: Path, *args: str) -> None:
    subprocess.run([sys.executable, str(script), *args], check=True, stdout=subprocess.DEVNULL)


def pristine_corpus(script: Path, workdir: Path, n: int, seed: int) -> Path:
    """Generated once per N and seed, then copied for every repetition (mutate edits in place)."""
    corpus = workdir / "corpus" / f"n{n}-seed{seed}"
    if not (corpus / ".complete").exists():
        shutil.rmtree(corpus, ignore_errors=True)
        print(f"generating {n} feeds in {corpus}", file=sys.stderr)
        gen_corpus(script, "generate", str(corpus), "--n", str(n), "--seed", str(seed))
        (corpus / ".complete").touch()
    return corpus


def serve_copy(corpus: Path, www: Path) -> list[str]:
    shutil.rmtree(www, ignore_errors=True)
    www.mkdir(parents=True)
    names = sorted(path.name for path in corpus.glob("feed-*.rss"))
    for name in names:
        shutil.copy2(corpus / name, www / name)  # mtimes kept: the validators stay the same
    return names


# -- servers -----------------------------------------------------------------------------


class Nginx:
    """A private nginx on 127.0.0.1: its config, pid file and logs under `directory`.

    With `tls`, it also serves https on `tls_port`.
    """

    name = "nginx"

    def __init__(self, directory: Path, www: Path, tls: Tls | None = None) -> None:
        self.dir = directory
        self.www = www
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else None
        self.log = directory / "access.log"
        self.pid_file = directory / "nginx.pid"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for path in (self.dir, self.www, *self.www.parents):
            if str(path).startswith(str(self.dir.parent)):
                path.chmod(0o755)  # the worker may run as nobody
        config = self.dir / "nginx.conf"
        https = (
            ""
            if self.tls is None or self.tls_port is None
            else self.tls.nginx_listen(self.tls_port)
        )
        config.write_text(
            f"""worker_processes 1;
pid {self.pid_file};
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    types {{ application/rss+xml rss; }}
    log_format bench '$status $connection';
    access_log {self.log} bench;
    sendfile on;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    etag on;
    if_modified_since before;
    gzip off;
    server {{
        listen 127.0.0.1:{self.port};
        {https}
        root {self.www};
    }}
}}
"""
        )
        argv = ["nginx", "-e", str(self.dir / "error.log"), "-p", str(self.dir), "-c", str(config)]
        subprocess.run(argv, check=True)
        for _ in range(50):
            if self.pid_file.exists() and self.pid_file.read_text().strip():
                return
            time.sleep(0.1)
        message = f"nginx did not start; see {self.dir / 'error.log'}"
        raise RuntimeError(message)

    def stop(self) -> None:
        if not self.pid_file.exists():
            return
        pid = int(self.pid_file.read_text())
        os.kill(pid, signal.SIGQUIT)  # graceful; nginx removes its pid file when done
        for _ in range(50):
            if not self.pid_file.exists():
                return
            time.sleep(0.1)

    def mark(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def tally(self, mark: int) -> tuple[Counter[str], int]:
        """Requests by status and distinct connections logged since `mark`."""
        time.sleep(0.3)  # nginx logs a request once its last byte is sent
        statuses: Counter[str] = Counter()
        connections = set()
        with self.log.open("rb") as log:
            log.seek(mark)
            for line in log:
                status, _, connection = line.decode().strip().partition(" ")
                if status:
                    statuses[status] += 1
                    connections.add(connection)
        return statuses, len(connections)


class PythonServer:
    """Static files with ETag and Last-Modified, 304 as nginx answers; HTTP/1.1 keep-alive."""

    name = "python"

    def __init__(self, directory: Path, www: Path) -> None:
        self.www = www
        self.counts: Counter[str] = Counter()
        self.connections = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:  # once per connection: handle() serves its requests
                super().setup()
                with server._lock:
                    server.connections += 1

            def do_GET(self) -> None:
                path = server.www / self.path.lstrip("/").split("?", 1)[0]
                if "/" in self.path.lstrip("/") or not path.is_file():
                    self._send(404, {}, b"not found")
                    return
                stat = path.stat()
                etag = f'"{int(stat.st_mtime):x}-{stat.st_size:x}"'
                modified = email.utils.formatdate(int(stat.st_mtime), usegmt=True)
                headers = {"ETag": etag, "Last-Modified": modified}
                if self._not_modified(etag, int(stat.st_mtime)):
                    self._send(304, headers, b"")
                else:
                    headers["Content-Type"] = "application/rss+xml"
                    self._send(200, headers, path.read_bytes())

            def _not_modified(self, etag: str, mtime: int) -> bool:
                match = self.headers.get("If-None-Match")
                if match is not None:
                    return etag in (tag.strip() for tag in match.split(","))
                since = self.headers.get("If-Modified-Since")
                if since is None:
                    return False
                try:
                    return mtime <= email.utils.parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                with server._lock:
                    server.counts[str(status)] += 1
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def mark(self) -> int:
        return 0

    def tally(self, mark: int) -> tuple[Counter[str], int]:
        """Requests by status and connections accepted since the last tally."""
        with self._lock:
            found, connections = Counter(self.counts), self.connections
            self.counts.clear()
            self.connections = 0
        return found, connections


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- runs ------------------------------------------------------------------------------------


@dataclass
class Row:
    n: int
    scenario: str
    rep: int
    rc: int
    wall: float
    cpu: float
    rss_mb: float
    events: int
    statuses: Counter[str] = field(default_factory=Counter)
    connections: int = 0  # distinct connections the server saw
    expected: int | None = None
    state_mb: float = 0.0  # the state file after the run
    save_ms: float | None = None  # one save of that state (after changed only)


def timed(argv: list[str], cwd: Path, env: dict[str, str], out: Path, timeout: float) -> Row:
    """Run `argv`: wall by the clock; CPU and peak RSS by GNU time, else by getrusage."""
    timefile = out.with_suffix(".time")
    prefix = [str(GNU_TIME), "-f", "%U %S %M", "-o", str(timefile)] if GNU_TIME.exists() else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with (
        out.with_suffix(".stdout").open("wb") as stdout,
        out.with_suffix(".stderr").open("wb") as err,
    ):
        start = time.perf_counter()
        process = subprocess.Popen(
            [*prefix, *argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=err,
            start_new_session=True,
        )
        try:
            rc = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the command and children
            process.wait()
            rc = -9
        wall = time.perf_counter() - start
    if prefix and timefile.exists():
        user, system, rss_kb = timefile.read_text().splitlines()[-1].split()
        cpu, rss_mb = float(user) + float(system), int(rss_kb) / 1024
    else:  # peak RSS of any child so far: a floor for this run, not its own figure
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        rss_mb = after.ru_maxrss / 1024
    lines = out.with_suffix(".stdout").read_bytes().splitlines()
    events = sum(1 for line in lines if line.strip())
    return Row(0, "", 0, rc, wall, cpu, rss_mb, events)


def command_for(template: str | None, state: Path, feeds: Path) -> list[str]:
    if template is not None:
        return ["/bin/sh", "-c", template.format(state=shlex.quote(str(state)), feeds=feeds)]
    executable = Path(sys.executable).with_name("statusstream")
    found = str(executable) if executable.exists() else shutil.which("statusstream")
    if found is None:
        sys.exit("bench: no statusstream command next to this Python or on PATH (pip install -e .)")
    return [found, "--once", "--since", "all", "--state", str(state), str(feeds)]


def environment(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith("STATUSSTREAM_")
    }
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env["HOME"] = str(home)
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env[name] = str(home)
    return env


def run_scenarios(
    args: argparse.Namespace,
    n: int,
    rep: int,
    server: Nginx | PythonServer,
    net: WideArea | None,
) -> list[Row]:
    corpus = pristine_corpus(args.gen_corpus, args.workdir, n, args.seed)
    names = serve_copy(corpus, server.www)
    home = args.workdir / "runs" / f"n{n}" / f"rep{rep}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    feeds = home / "feeds.txt"
    base = f"http://127.0.0.1:{server.port}"
    urls = [net.url(i, name) if net else f"{base}/{name}" for i, name in enumerate(names)]
    feeds.write_text("".join(f"{name[:-4]} {url}\n" for name, url in zip(names, urls, strict=True)))
    state = home / "state.json"
    env = environment(home) | (net.environment() if net else {})
    rows = []
    for scenario in SCENARIOS:
        expected = 0 if scenario == "warm" else None
        if scenario == "changed":
            manifest = home / "manifest.json"
            mutate = ["mutate", str(server.www), "--fraction", str(args.fraction)]
            mutate += ["--seed", str(args.mutate_seed), "--manifest", str(manifest)]
            gen_corpus(args.gen_corpus, *mutate)
            expected = int(json.loads(manifest.read_text())["new_updates"])
        mark = server.mark()
        argv = command_for(args.cmd, state, feeds)
        row = timed(argv, home, env, home / scenario, args.timeout)
        row.n, row.scenario, row.rep, row.expected = n, scenario, rep, expected
        row.statuses, row.connections = server.tally(mark)
        row.state_mb = state.stat().st_size / 1e6 if state.exists() else 0.0
        if scenario == "changed" and state.exists() and args.cmd is None:
            row.save_ms = save_time(state)
        rows.append(row)
        print(
            f"  n={n} rep {rep} {scenario:<7} rc={row.rc} wall={row.wall:.2f}s cpu={row.cpu:.2f}s"
            f" rss={row.rss_mb:.0f}MB 200={row.statuses['200']} 304={row.statuses['304']}"
            f" conns={row.connections} events={row.events}",
            file=sys.stderr,
            flush=True,
        )
    return rows


def save_time(state: Path) -> float | None:
    """Milliseconds of one save of this state (median of 5), in a process of its own."""
    script = (
        "import statistics, sys, time\n"
        "from pathlib import Path\n"
        "try:\n"
        "    from statusstream.statefile import StateFile\n"
        "except ImportError:  # before the state file had a module of its own\n"
        "    from statusstream.state import StateFile\n"
        "file = StateFile(Path(sys.argv[1]))\n"
        "state = file.open()\n"
        "times = []\n"
        "for _ in range(5):\n"
        "    state.feed('bench:').fail('bench')  # a change, so that the save writes\n"
        "    start = time.perf_counter()\n"
        "    file.save(state)\n"
        "    times.append(time.perf_counter() - start)\n"
        "file.close()\n"
        "print(statistics.median(times) * 1000)\n"
    )
    copy = state.with_name("save-test.json")
    shutil.copyfile(state, copy)
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, str(copy)], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None  # statusstream is not importable here
    finally:
        for leftover in (copy, copy.with_name(copy.name + ".lock")):
            leftover.unlink(missing_ok=True)
    return float(done.stdout)


# -- report ----------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def same(values: list[int]) -> str:
    """One value when all repetitions agree, else the range."""
    return str(values[0]) if len(set(values)) == 1 else f"{min(values)}-{max(values)}"


def table(rows: list[Row]) -> str:
    lines = [
        "| N | scenario | wall s | CPU s | peak RSS MB | 200 | 304 | other | conns | events | rc"
        " | state MB | one save ms |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for n in sorted({row.n for row in rows}):
        for scenario in SCENARIOS:
            group = [row for row in rows if row.n == n and row.scenario == scenario]
            if not group:
                continue
            other = [
                sum(v for k, v in row.statuses.items() if k not in ("200", "304")) for row in group
            ]
            events = same([row.events for row in group])
            if group[0].expected is not None:
                events += f" (expected {group[0].expected})"
            lines.append(
                f"| {n} | {scenario} | {median([row.wall for row in group]):.2f}"
                f" | {median([row.cpu for row in group]):.2f}"
                f" | {median([row.rss_mb for row in group]):.0f}"
                f" | {same([row.statuses['200'] for row in group])}"
                f" | {same([row.statuses['304'] for row in group])}"
                f" | {same(other)} | {same([row.connections for row in group])}"
                f" | {events} | {same([row.rc for row in group])}"
                f" | {median([row.state_mb for row in group]):.2f} | {_save(group)} |"
            )
    return "\n".join(lines)


def _save(group: list[Row]) -> str:
    times = [row.save_ms for row in group if row.save_ms is not None]
    return f"{median(times):.0f}" if times else ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, action="append", help="number of feeds (repeatable; default 100)"
    )
    parser.add_argument(
        "--reps", type=int, default=1, help="repetitions of the three scenarios (median)"
    )
    parser.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/statusstream-bench"))
    parser.add_argument("--gen-corpus", type=Path, default=GEN_CORPUS, help="path to gen_corpus.py")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutate-seed", type=int, default=2)
    parser.add_argument("--fraction", type=float, default=0.1, help="share of feeds changed")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument(
        "--cmd",
        help="a command template run by sh instead of statusstream: {state} and {feeds} filled in",
    )
    add_options(parser)
    args = parser.parse_args()
    if problem := option_error(args):
        parser.error(problem)
    if not args.gen_corpus.is_file():
        sys.exit(
            f"bench: {args.gen_corpus} not found: the corpus comes from shared/bench/gen_corpus.py"
            " (give its path with --gen-corpus)"
        )
    if args.hosts and (problem := setup_error(args)):
        sys.exit(problem)
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    net = WideArea(args, args.workdir / "net") if args.hosts else None
    use_nginx = args.server == "nginx" or (args.server == "auto" and shutil.which("nginx"))
    www = args.workdir / "www"
    www.mkdir(exist_ok=True)
    server: Nginx | PythonServer = (
        Nginx(args.workdir / "nginx", www, net.tls if net else None)
        if use_nginx
        else PythonServer(args.workdir, www)
    )
    server.start()
    rows: list[Row] = []
    try:
        if net is not None and isinstance(server, Nginx):  # --hosts comes with nginx
            net.start(server.tls_port or server.port)
        for rep in range(1, args.reps + 1):  # reps outside: machine drift spreads over every N
            for n in args.n or [100]:
                rows += run_scenarios(args, n, rep, server, net)
    finally:
        if net is not None:
            net.stop()
        server.stop()
    cores = os.cpu_count()
    timer = "GNU time" if GNU_TIME.exists() else "getrusage"
    print(
        f"statusstream benchmark: {server.name} server, {cores} cores, Python"
        f" {platform.python_version()}, {args.reps} repetition(s), medians;"
        f" CPU and RSS by {timer}{'; ' + net.describe() if net else ''}\n"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
