"""What `--version` prints: statusstream's version; with `-v`, its dependencies' as installed."""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, requires, version

from statusstream import __version__

# What `--version -v` lists where the package's metadata cannot say (pyproject.toml is the truth).
DEPENDENCIES = ("trio", "httpx2", "brotli", "feedparser", "click", "trio-parallel")
_REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?")


def text(verbose: bool) -> str:
    """`statusstream 0.1.0`; with `verbose`, a line for each dependency and for Python."""
    lines = [f"statusstream {__version__}"]
    if verbose:
        for package in dependencies():
            try:
                lines.append(f"  {package} {version(package)}")
            except PackageNotFoundError:
                lines.append(f"  {package} (not installed)")
        lines.append(f"  python {sys.version.split()[0]}")
    return "\n".join(lines)


def dependencies() -> list[str]:
    """The runtime dependencies as installed (`httpx2[brotli]` is httpx2 and brotli)."""
    try:
        requirements = requires("statusstream") or []
    except PackageNotFoundError:  # run from a source tree that was never installed
        requirements = []
    names: list[str] = []
    for requirement in requirements:
        if "extra ==" in requirement.partition(";")[2]:
            continue  # a test or other optional dependency
        match = _REQUIREMENT.match(requirement)
        if match is not None:
            names.append(match["name"])
            names += [extra.strip() for extra in (match["extras"] or "").split(",") if extra]
    return list(dict.fromkeys(names)) or list(DEPENDENCIES)
