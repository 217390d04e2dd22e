"""Bounded waits for a condition, never a bare sleep: each names what it waited for when it times out."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from upgrade_suite.base.errors import SuiteError


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll ``condition`` until it is true; ``SuiteError`` naming ``what`` after ``timeout`` seconds.

    An exception raised by ``condition`` is not retried: it ends the wait at once (a process that
    died while we waited for it must not cost the whole timeout).
    """
    retrying = Retrying(
        stop=stop_after_delay(timeout), wait=wait_fixed(interval), retry=retry_if_result(lambda ok: not ok)
    )
    try:
        retrying(condition)
    except RetryError:
        raise SuiteError(f"timed out after {timeout:.0f} s waiting for {what}") from None


def stop_process(process: subprocess.Popen[bytes] | None, grace: float) -> None:
    """SIGTERM a helper process the suite started, give it ``grace`` seconds, then SIGKILL it."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bounded_run(
    command: list[str], what: str, timeout: float, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A helper program run to completion within ``timeout`` (output captured, no stdin); one ``SuiteError``
    naming ``what`` when it does not finish, never a ``subprocess.TimeoutExpired`` traceback. ``env``: the
    program's whole environment (the suite's own by default)."""
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, env=env
        )
    except subprocess.TimeoutExpired:
        raise SuiteError(f"{what} did not finish within {timeout:.0f} s") from None


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the work inside like Ctrl-C (cleanup runs: a half-made build removed, a node stopped), when
    nobody else handles it (behave's hooks do) and only in the main thread, where Python runs handlers."""
    import threading

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
