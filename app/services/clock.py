"""The one source of "now", so every module agrees on UTC and on the format of timestamps.

Its source can be replaced (`use`): a test whose subject is time passing (how long an officer
watched a share, when a link expires) moves a clock forward instead of sleeping. Nothing in the
app or the workers replaces it; on AWS it is always the system's UTC time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Source = Callable[[], datetime]


def system_now() -> datetime:
    return datetime.now(UTC)


_source: Source = system_now


def now() -> datetime:
    return _source()


@contextmanager
def use(source: Source) -> Iterator[None]:
    """Read "now" from `source` inside the block, in every thread of this process (the app
    server and the worker loop of a test's devstack run in the test's process)."""
    global _source
    previous, _source = _source, source
    try:
        yield
    finally:
        _source = previous


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds: sortable as a string."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
