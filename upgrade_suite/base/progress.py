"""What a long wait tells the person at the terminal: one console for progress, one lock a second run waits on.

Installing a release, building an interpreter or an image takes minutes; the run says what it is doing on
stderr (behave's own output stays on stdout) and, when another run is already building the same thing,
that it waits for it instead of building it twice. Below every stage, so the interpreter build does not
import the release cache to print a line or take its lock.
"""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

console = Console(file=sys.__stderr__, highlight=False, soft_wrap=True)


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """An advisory file lock: a second run waits for the first to finish building the same venv."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            with console.status(f"Waiting for another run to finish installing {lock_path.stem} ..."):
                fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
