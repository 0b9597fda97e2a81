"""Shared by the tests of feed definitions: load a text, and take its feeds or its problems."""

from __future__ import annotations

import re

import pytest

from statusstream.errors import DefinitionError
from statusstream.feeds import FeedSpec, load

PROBLEM = re.compile(r"^feeds\.txt:\d+: \S.*$")


def specs(text: str, origin: str = "feeds.txt") -> tuple[FeedSpec, ...]:
    return load([(origin, text)]).feeds


def one(line: str) -> FeedSpec:
    [spec] = specs(line + "\n")
    return spec


def problems(text: str, origin: str = "feeds.txt") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load([(origin, text)])
    return str(caught.value).splitlines()


def problem(line: str) -> str:
    [only] = problems(line + "\n")
    assert PROBLEM.match(only), only
    return only
