"""statusstream: follow status pages, write each new incident update as a JSON line."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
