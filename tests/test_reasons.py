"""Why a request failed, in one line: `reasons.describe` finds the cause under httpx2's error."""

from __future__ import annotations

import errno

import httpx2

from statusstream import reasons


def test_describe_finds_the_reason_under_the_error() -> None:
    """`describe` reads the causes of httpx2's error, through exception groups: EMFILE."""
    error = httpx2.ConnectError("all attempts failed")
    error.__cause__ = ExceptionGroup("all", [OSError(errno.EMFILE, "Too many open files")])
    expected = "example.com:8080: cannot connect: too many open files"
    assert reasons.describe(error, "http://example.com:8080/feed") == expected
