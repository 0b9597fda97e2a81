"""The wide-area mode of bench.py: many hosts, added round-trip time, TLS.

    python tests/benchmarks/bench.py --n 1000 --reps 3 --hosts 100 --rtt 40 --tls

The mode of the peer benchmark (shared/bench/README.md, "Wide-area mode"), with the same
semantics: the N feeds are spread over H loopback hosts, 127.0.1.1 ... 127.0.1.H (feed i,
counted from 0 in name order, on host i mod H + 1), each reached through
`shared/bench/netproxy.py`, called by path and never copied. The relay delays every piece of
data by RTT/2 in each direction, and a connection's first bytes by one more RTT (TCP's own
handshake). With `--tls` the private nginx also serves https, with a certificate for every host
address from a private CA that openssl makes in the work directory; the command under test
gets that CA as `SSL_CERT_FILE` (and `CURL_CA_BUNDLE`, for templates built on curl).

Needs nginx: the relay forwards to it, and its access log counts the connections.
Imported by bench.py when run as a script; not part of the test suite.
"""

from __future__ import annotations

import argparse
import select
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NETPROXY = Path(__file__).resolve().parents[3] / "shared" / "bench" / "netproxy.py"
MAX_HOSTS = 254  # 127.0.1.1 ... 127.0.1.254
READY_TIMEOUT = 30.0  # seconds for netproxy.py to listen on every host


def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("wide area (needs nginx)")
    group.add_argument(
        "--hosts",
        type=int,
        default=0,
        help=f"spread the feeds over this many hosts, 127.0.1.1 ... (at most {MAX_HOSTS}),"
        " each behind netproxy.py",
    )
    group.add_argument(
        "--rtt", type=float, help="round-trip time in milliseconds with --hosts (default 40)"
    )
    group.add_argument(
        "--tls", action="store_true", help="with --hosts: https, certificate from a private CA"
    )
    group.add_argument("--netproxy", type=Path, default=NETPROXY, help="path to netproxy.py")


def option_error(args: argparse.Namespace) -> str | None:
    """What is wrong with the wide-area options, for `parser.error`; None when they hold."""
    if not args.hosts:
        return "--rtt and --tls need --hosts" if args.rtt is not None or args.tls else None
    if not 1 <= args.hosts <= MAX_HOSTS:
        return f"--hosts {args.hosts}: give 1 to {MAX_HOSTS} (hosts 127.0.1.1 ... 127.0.1.H)"
    if args.rtt is not None and args.rtt < 0:
        return f"--rtt {args.rtt:g}: a round-trip time cannot be negative"
    if args.server == "python":
        return "--hosts needs nginx (--server nginx or auto): the Python server has no https"
    return None


def setup_error(args: argparse.Namespace) -> str | None:
    """What this machine lacks for the wide-area options; None when nothing is missing."""
    if not shutil.which("nginx"):
        return "bench: --hosts needs nginx, and there is none on PATH (apt-get install nginx-light)"
    if not args.netproxy.is_file():
        return (
            f"bench: {args.netproxy} not found: the relay of --hosts is shared/bench/netproxy.py"
            " (give its path with --netproxy)"
        )
    if args.tls and not shutil.which("openssl"):
        return "bench: --tls makes its certificates with openssl, and there is none on PATH"
    return None


@dataclass(frozen=True, slots=True)
class Tls:
    """A private CA and the server's certificate, valid for every host address."""

    ca: Path
    certificate: Path
    key: Path

    def nginx_listen(self, port: int) -> str:
        """The lines of an nginx `server` block that add https on 127.0.0.1:port."""
        return (
            f"listen 127.0.0.1:{port} ssl;\n"
            f"        ssl_certificate {self.certificate};\n"
            f"        ssl_certificate_key {self.key};\n"
            "        ssl_session_cache shared:bench:10m;"
        )


def make_certificates(directory: Path, hosts: int) -> Tls:
    """A CA and a server certificate (P-256, 30 days) for 127.0.1.1 ... 127.0.1.H, by openssl."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    key, request = directory / "server.key", directory / "server.csr"
    certificate, extensions = directory / "server.pem", directory / "server.ext"
    names = ",".join(f"IP:127.0.1.{k}" for k in range(1, hosts + 1)) + ",IP:127.0.0.1"
    extensions.write_text(
        f"subjectAltName={names}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n"  # X509_STRICT verifiers (Python 3.13) want it
    )
    new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    _openssl(
        f"req -x509 {new_key} -days 30 -subj '/CN=statusstream bench CA'"
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", ca_key, "-out", ca,
    )  # fmt: skip
    _openssl(f"req {new_key} -subj '/CN=statusstream bench'", "-keyout", key, "-out", request)
    _openssl(
        "x509 -req -days 30 -CAcreateserial", "-in", request, "-CA", ca, "-CAkey", ca_key,
        "-extfile", extensions, "-out", certificate,
    )  # fmt: skip
    return Tls(ca, certificate, key)


def _openssl(options: str, *more: str | Path) -> None:
    """Run openssl with `options` (split as a shell would) and then `more`, word for word."""
    argv = ["openssl", *shlex.split(options), *map(str, more)]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        message = f"bench: {' '.join(argv[:3])} failed: {done.stderr.strip()}"
        raise SystemExit(message)


class WideArea:
    """The feeds spread over H loopback hosts behind netproxy.py, which adds the round trips."""

    def __init__(self, args: argparse.Namespace, directory: Path) -> None:
        self.hosts: int = args.hosts
        self.rtt: float = 40.0 if args.rtt is None else args.rtt
        self.netproxy: Path = args.netproxy.resolve()
        self.dir = directory
        self.tls = make_certificates(directory / "tls", self.hosts) if args.tls else None
        self.port = _free_port("127.0.1.1")
        self._process: subprocess.Popen[str] | None = None

    def url(self, index: int, name: str) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.1.{index % self.hosts + 1}:{self.port}/{name}"

    def environment(self) -> dict[str, str]:
        """What the command under test needs to trust the server."""
        if self.tls is None:
            return {}
        return {"SSL_CERT_FILE": str(self.tls.ca), "CURL_CA_BUNDLE": str(self.tls.ca)}

    def describe(self) -> str:
        protocol = "https from a private CA" if self.tls else "http"
        return (
            f"wide area: {self.hosts} hosts (127.0.1.1-{self.hosts}) behind netproxy.py,"
            f" RTT {self.rtt:g} ms, {protocol}"
        )

    def start(self, upstream_port: int) -> None:
        """Relay 127.0.1.k:port to 127.0.0.1:upstream_port once netproxy.py says it is ready."""
        self.dir.mkdir(parents=True, exist_ok=True)
        log = self.dir / "netproxy.log"
        argv = [sys.executable, str(self.netproxy), "--hosts", str(self.hosts)]
        argv += ["--port", str(self.port), "--upstream", f"127.0.0.1:{upstream_port}"]
        argv += ["--rtt", str(self.rtt)]
        with log.open("wb") as errors:
            self._process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, text=True
            )
        if not self._ready():
            self.stop()
            message = f"bench: netproxy.py did not start; see {log}"
            raise SystemExit(message)

    def _ready(self) -> bool:
        """netproxy.py prints "ready" once it listens on every host address."""
        stdout = None if self._process is None else self._process.stdout
        if stdout is None:
            return False
        readable, _, _ = select.select([stdout], [], [], READY_TIMEOUT)
        return bool(readable) and stdout.readline().strip() == "ready"

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port
