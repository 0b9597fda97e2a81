"""The real feeds: third-party status feeds kept outside the project, never copied into it.

They are expected in `../shared/fixtures/real/` beside the project (PROVENANCE.md there says
where each came from). Where that folder is absent, every test that needs one is skipped with
a reason that says where they were looked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

REAL_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
MISSING = (
    f"real feeds not present at {REAL_FEEDS}"
    " (expected in ../shared/fixtures/real/ beside the project)"
)


def real_feeds() -> Path:
    """The folder of the real feeds; the test is skipped where it is absent."""
    if not REAL_FEEDS.is_dir():
        pytest.skip(MISSING)
    return REAL_FEEDS


def real_feed(name: str) -> bytes:
    """The bytes of one real feed; the test is skipped where the shared folder is absent."""
    return (real_feeds() / name).read_bytes()


def real_names(prefix: str = "") -> list[Any]:
    """The real feed files whose names start with `prefix`, for parametrising; where the folder
    is absent, one parameter that skips, saying where the feeds were expected."""
    if not REAL_FEEDS.is_dir():
        return [pytest.param("", marks=pytest.mark.skip(reason=MISSING))]
    return sorted(
        path.name
        for path in REAL_FEEDS.iterdir()
        if path.suffix in {".rss", ".atom"} and path.name.startswith(prefix)
    )
