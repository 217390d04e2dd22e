"""Run a script or module inside a release's venv: one environment, one named timeout, one error form.

Every place that runs code of a release (minting a token, reading its settings models, its
bootstrap, populating a database, the migration experiments, introspecting an install) goes
through ``run_probe``. A failure reads ``<what> in <release> failed after N s: <last lines>``, a
timeout ``<what> in <release> timed out after N s (raise -D <setting>=): <last lines>``: one line
of SuiteError, never a ``subprocess.TimeoutExpired`` traceback.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from upgrade_suite.base.errors import SuiteError

#: How many lines of a probe's output an error quotes.
TAIL_LINES = 3


@dataclass(frozen=True)
class Timeout:
    """A bound on a probe, named by the setting that raises it ("" for a fixed bound)."""

    seconds: float
    setting: str = ""

    def advice(self) -> str:
        return f" (raise -D {self.setting}=)" if self.setting else ""


def _tail(text: str | bytes | None) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = (text or "").strip().splitlines()[-TAIL_LINES:]
    return " | ".join(line.strip() for line in lines) or "(no output)"


@dataclass(frozen=True)
class ProbeRun:
    """What a probe did: its exit status, its output (stderr merged in unless kept apart), how long it took.

    ``require()`` says whether it did its job: exit 0, and the file it should write written.
    """

    what: str
    release: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def failure(self, hint: str = "") -> SuiteError:
        """The one-line error for a probe that did not do its job."""
        return SuiteError(
            f"{self.what} in {self.release} failed after {self.seconds:.0f} s: {_tail(self.output)}{hint}"
        )

    def require(self, produced: Path | None = None, hint: str = "") -> ProbeRun:
        """This run, or its failure raised: a non-zero exit, or no ``produced`` file where it should write one."""
        if self.exit_code != 0 or (produced is not None and not produced.exists()):
            raise self.failure(hint)
        return self


def run_probe(
    what: str,
    release: str,
    python: Path,
    program: Path | str,
    arguments: Sequence[str],
    *,
    environment: dict[str, str],
    cwd: Path | None,
    timeout: Timeout,
    merge_stderr: bool = True,
) -> ProbeRun:
    """Run ``program`` (a script path, or a module name for ``-m``) with ``python`` of ``release`` (its label).

    ``environment`` is the whole environment the probe sees (nothing is inherited); stdin is closed;
    ``cwd`` None: the suite's own working directory.
    """
    command = [str(python), *(["-m", program] if isinstance(program, str) else [str(program)]), *arguments]
    started = time.monotonic()
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=timeout.seconds,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        )
    except subprocess.TimeoutExpired as expired:
        raise SuiteError(
            f"{what} in {release} timed out after {timeout.seconds:.0f} s{timeout.advice()}: {_tail(expired.output)}"
        ) from None
    return ProbeRun(
        what, release, result.returncode, result.stdout or "", result.stderr or "", time.monotonic() - started
    )


def python_version(python: str | Path, timeout: float = 30.0) -> str:
    """The full version an interpreter reports (fails in one line when it does not run)."""
    try:
        result = subprocess.run(
            [str(python), "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SuiteError(f"{python} does not run as a Python interpreter ({error})") from None
    if result.returncode != 0:
        raise SuiteError(f"{python} does not run as a Python interpreter (exit {result.returncode})")
    return result.stdout.strip()
