"""The package as a whole: the user's libraries do HTTP, decoding and XML; nothing by hand."""

from __future__ import annotations

import ast
from pathlib import Path

import statusstream

PACKAGE = Path(statusstream.__file__).parent
# What httpx2, httpcore2 and feedparser do for us: a module importing one of these would be
# doing their job a second time.
THEIR_JOB = {"zlib", "gzip", "brotli", "zstandard", "h11", "http.client", "xml.parsers.expat"}


def modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text())) for path in sorted(PACKAGE.rglob("*.py"))]


def test_no_module_subclasses_an_http_transport() -> None:
    """Every request goes through httpx2's own transport: none of ours."""
    found = [
        f"{path.name}:{node.name}"
        for path, tree in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any("Transport" in ast.unparse(base) for base in node.bases)
    ]
    assert found == []


def test_no_module_decodes_framing_compression_or_xml_itself() -> None:
    """No hand-written decompression, HTTP framing or XML reading: the libraries do it."""
    found = []
    for path, tree in modules():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name in THEIR_JOB]
    assert found == []


def test_no_module_is_over_300_lines() -> None:
    """One responsibility a module keeps each one short enough to read in one sitting."""
    long = {
        path.name: n for path, _ in modules() if (n := len(path.read_text().splitlines())) > 300
    }
    assert long == {}
