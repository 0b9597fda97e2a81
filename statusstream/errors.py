"""The exception tree. `cli` turns each into a one-line message and an exit code.

StatusStreamError
├── UsageError            bad options or definitions              exit 2
│   └── DefinitionError   a bad feed-definition line              exit 2
├── StateError            state file unreadable, unparsable       exit 2
│   ├── StateLockedError  another statusstream holds the file     exit 75
│   └── StateSaveError    the state could not be written          exit 1
├── OutputClosed          the reader of stdout went away          exit 0
├── OutputError           stdout failed (a full disk, ...)        exit 1
└── FeedError             one feed failed this poll; others go on
    └── FetchError        the request failed (network, HTTP status, size)
"""

from __future__ import annotations


class StatusStreamError(Exception):
    """Base of every error statusstream expects and reports without a traceback."""

    exit_code = 1


class UsageError(StatusStreamError):
    exit_code = 2


class DefinitionError(UsageError):
    """A feed-definition line is invalid; the message starts with `file:line:`."""


class StateError(StatusStreamError):
    exit_code = 2


class StateLockedError(StateError):
    exit_code = 75


class StateSaveError(StateError):
    exit_code = 1


class OutputClosed(StatusStreamError):
    exit_code = 0


class OutputError(StatusStreamError):
    exit_code = 1


class FeedError(StatusStreamError):
    """One feed failed this poll (network, HTTP status, size, parse)."""


class FetchError(FeedError):
    """A failed request. `retry_after` is the server's own wish, in seconds from now."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
