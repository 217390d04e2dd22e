"""The Alembic of a given release, run from its own venv with its own alembic.ini.

Small verbs (``upgrade``, ``downgrade``, ``current``) that each return an ``AlembicRun``
carrying the exit status, the full output, the duration and what each revision took: the
evidence a DBA asks for. Each line of output is stamped as it arrives (the releases log
"Running upgrade A -> B" as a revision starts, to the second only), so a revision's time is
the gap to the next one's start, or to the exit (the last one's time includes the final commit,
which on PostgreSQL is the whole run's transaction, and the program's exit).
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.chart import MIGRATION_JOB
from upgrade_suite.services.engine import DockerEngine, bind_mounts, container_environment

#: Alembic's line as it starts a revision: ``Running upgrade a1 -> b2, message`` (the first has no down revision).
_RUNNING = re.compile(r"Running (upgrade|downgrade) (\S*) -> (\S+?)(?:,|$)")


@dataclass(frozen=True)
class RevisionTime:
    """One revision as Alembic ran it: which, which way, and how long until the next began (or Alembic exited)."""

    direction: str  # "upgrade" or "downgrade"
    source: str  # the revision it started from ("" for the first of a history)
    target: str
    seconds: float
    at: float = 0.0  # when it began, in seconds after the program started

    @property
    def revision(self) -> str:
        """The revision whose script ran: the target of an upgrade, the source of a downgrade."""
        return self.target if self.direction == "upgrade" else self.source


def revision_times(lines: Sequence[tuple[float, str]], ended: float, started: float = 0.0) -> tuple[RevisionTime, ...]:
    """Each revision's time from the stamped output lines (monotonic seconds) and the moments the program started
    and exited."""
    starts = [(stamp, match) for stamp, line in lines if (match := _RUNNING.search(line))]
    ends = [stamp for stamp, _ in starts[1:]] + ([ended] if starts else [])
    return tuple(
        RevisionTime(match[1], match[2], match[3], round(end - stamp, 3), round(stamp - started, 3))
        for (stamp, match), end in zip(starts, ends, strict=True)
    )


#: ``module.Class: (driver.module.Class) message`` or ``module.Class: message``, as a traceback's last line says it.
_CAUSE = re.compile(r"^(?P<outer>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):\s*(?:\((?P<inner>[A-Za-z_]\w*(?:\.\w+)*)\))?")


@dataclass(frozen=True)
class AlembicRun:
    """One Alembic command as it ran."""

    release: str
    arguments: tuple[str, ...]
    exit_code: int
    output: str
    seconds: float
    program: str = "alembic"  # or "python -m mcpgateway.bootstrap_db" (the chart's migration Job)
    revisions: tuple[RevisionTime, ...] = field(default=())  # empty where the output came at the end (a container)
    started: float = 0.0  # time.monotonic() as it started: what a sampler beside it lines up with

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def error(self) -> str:
        """The line that says what went wrong: the last naming an error, not SQLAlchemy's trailing link."""
        lines = [
            line.strip()
            for line in self.output.splitlines()
            if line.strip() and not line.startswith("(Background on this error")
        ]
        return next(
            (line for line in reversed(lines) if "Error" in line or "error:" in line), lines[-1] if lines else ""
        )

    @property
    def cause(self) -> str:
        """The exception class that ended a failed run, the database driver's where SQLAlchemy wraps one
        (``sqlalchemy.exc.OperationalError: (psycopg.errors.DeadlockDetected) ...`` -> the psycopg class): what a
        declared known defect names, never the message, which carries process ids and table oids."""
        match = _CAUSE.match(self.error)
        return (match.group("inner") or match.group("outer")) if match else "exit status " + str(self.exit_code)

    @property
    def command(self) -> str:
        return " ".join((self.program, *self.arguments))

    def render(self) -> str:
        """The run as an operator would read it in a terminal, after what each revision took."""
        times = [
            f"# {step.direction} {step.source or '(base)'} -> {step.target}: {step.seconds:.2f} s"
            for step in self.revisions
        ]
        header = f"$ {self.command}   # {self.release}, exit {self.exit_code}, {self.seconds:.1f} s"
        return "\n".join([header, *times, self.output])


class Migrations:
    """Alembic of ``release`` against the database its environment's DATABASE_URL names."""

    def __init__(self, release: Release, environment: dict[str, str], workdir: Path, timeout: float) -> None:
        self.release = release
        self.environment = environment
        self.workdir = workdir
        self.timeout = timeout

    def run(self, *arguments: str) -> AlembicRun:
        """Run ``alembic -c <release's ini> <arguments>``; never raises on a failed migration."""
        return self._timed(tuple(arguments), "alembic", self._execute(arguments))

    def bootstrap(self) -> AlembicRun:
        """``python -m mcpgateway.bootstrap_db``: the release's own schema bootstrap, what the chart's migration Job
        runs (an empty database: create and stamp; an existing one: upgrade to its head)."""
        return self._timed((), "python -m mcpgateway.bootstrap_db", self._execute_python(MIGRATION_JOB))

    def _timed(self, arguments: tuple[str, ...], program: str, ran: Stamped) -> AlembicRun:
        return AlembicRun(
            self.release.spec.label,
            arguments,
            ran.exit_code,
            ran.output,
            ran.ended - ran.started,
            program,
            revision_times(ran.lines, ran.ended, ran.started),
            ran.started,
        )

    def _execute(self, arguments: tuple[str, ...]) -> Stamped:
        return self._execute_command(
            [str(self.release.bin("alembic")), "-c", str(self.release.alembic_ini), *arguments],
            f"alembic {' '.join(arguments)}",
        )

    def _execute_python(self, arguments: tuple[str, ...]) -> Stamped:
        return self._execute_command([str(self.release.bin("python")), *arguments], f"python {' '.join(arguments)}")

    def _execute_command(self, command: list[str], what: str) -> Stamped:
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env={**self.environment, "PYTHONUNBUFFERED": "1"},  # each line as it is logged, for its stamp
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise SuiteError(
                f"{self.release.spec.label}'s {Path(command[0]).name} program is missing ({command[0]}): its venv is "
                "incomplete; delete it to reinstall"
            ) from None
        lines: list[tuple[float, str]] = []
        assert process.stdout is not None
        reader = threading.Thread(target=_stamp_lines, args=(process.stdout, lines), daemon=True)
        reader.start()
        try:
            process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired as expired:
            raise SuiteError(
                f"{what} of {self.release.spec.label} did not finish within migration_timeout={self.timeout:.0f} s"
            ) from expired
        finally:
            if process.poll() is None:  # timed out, or interrupted (Ctrl-C): never leave it migrating
                process.kill()
                process.wait()
            ended = time.monotonic()
            reader.join(timeout=5)
        return Stamped(process.returncode, "".join(line for _, line in lines), lines, started, ended)

    def upgrade(self, target: str = "head") -> AlembicRun:
        return self.run("upgrade", target)

    def downgrade(self, target: str) -> AlembicRun:
        return self.run("downgrade", target)

    def current(self) -> AlembicRun:
        return self.run("current")


#: Finds the release's own alembic.ini inside whatever image runs it (the venv's Python version varies).
ALEMBIC_IN_IMAGE = (
    'exec alembic -c "$(python -c "import mcpgateway, os; '
    'print(os.path.join(os.path.dirname(mcpgateway.__file__), \'alembic.ini\'))")" "$@"'
)


@dataclass(frozen=True)
class Stamped:
    """A program's exit status and output, each line with the monotonic moment it arrived."""

    exit_code: int
    output: str
    lines: list[tuple[float, str]]
    started: float
    ended: float


def _stamp_lines(stream: Iterable[str], lines: list[tuple[float, str]]) -> None:
    for line in stream:
        lines.append((time.monotonic(), line))


class ContainerMigrations(Migrations):
    """The same Alembic verbs, run as a one-off container of the release's image (like the chart's migration Job)."""

    def __init__(
        self,
        release: Release,
        environment: dict[str, str],
        workdir: Path,
        timeout: float,
        engine: DockerEngine,
        image: str,
    ) -> None:
        super().__init__(release, environment, workdir, timeout)
        self.engine = engine
        self.image = image

    def _execute(self, arguments: tuple[str, ...]) -> Stamped:
        return self._in_container(
            ["sh", "-c", ALEMBIC_IN_IMAGE, "alembic", *arguments], f"alembic {' '.join(arguments)}"
        )

    def _execute_python(self, arguments: tuple[str, ...]) -> Stamped:
        return self._in_container(["python", *arguments], f"python {' '.join(arguments)}")

    def _in_container(self, command: list[str], what: str) -> Stamped:
        """The container's output comes when it exits: no per-line stamps, so no per-revision times."""
        started = time.monotonic()
        exit_code, output = self.engine.run_once(
            self.image,
            command,
            container_environment(self.environment),
            bind_mounts(self.environment["DATABASE_URL"]),
            f"migration {what}",
            self.timeout,
            f"{what} of {self.release.spec.label}",
        )
        return Stamped(
            exit_code, f"# suite: one-off container of {self.image}\n{output}", [], started, time.monotonic()
        )
