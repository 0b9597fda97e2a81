"""`--version -v`: the runtime dependencies, as the package metadata lists them."""

from __future__ import annotations

from statusstream.versions import dependencies, text


def test_version_dependencies_are_the_runtime_requirements() -> None:
    """`--version -v` lists pyproject's runtime requirements and httpx2's brotli, no test tools."""
    listed = dependencies()
    assert {"trio", "httpx2", "brotli", "feedparser", "click", "trio-parallel"} <= set(listed)
    assert not {"pytest", "mypy", "ruff"} & set(listed)


def test_version_text_has_a_line_a_dependency_with_verbose() -> None:
    """Without -v one line; with it, that line, one line a dependency, and Python's."""
    short = text(verbose=False)
    assert short.startswith("statusstream ") and "\n" not in short
    lines = text(verbose=True).splitlines()
    assert lines[0] == short
    assert [line.split()[0] for line in lines[1:]] == [*dependencies(), "python"]
