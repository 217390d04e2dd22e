"""The Alembic of a given release, run from its own venv with its own alembic.ini.

Small verbs (``upgrade``, ``downgrade``, ``current``) that each return an ``AlembicRun``
carrying the exit status, the full output and the duration: the evidence a DBA asks for.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .chart import MIGRATION_JOB
from .engine import DockerEngine, bind_mounts, container_environment
from .errors import SuiteError
from .releases import Release


@dataclass(frozen=True)
class AlembicRun:
    """One Alembic command as it ran."""

    release: str
    arguments: tuple[str, ...]
    exit_code: int
    output: str
    seconds: float
    program: str = "alembic"  # or "python -m mcpgateway.bootstrap_db" (the chart's migration Job)

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
    def command(self) -> str:
        return " ".join((self.program, *self.arguments))

    def render(self) -> str:
        """The run as an operator would read it in a terminal."""
        return f"$ {self.command}   # {self.release}, exit {self.exit_code}, {self.seconds:.1f} s\n{self.output}"


class Migrations:
    """Alembic of ``release`` against the database its environment's DATABASE_URL names."""

    def __init__(self, release: Release, environment: dict[str, str], workdir: Path, timeout: float) -> None:
        self.release = release
        self.environment = environment
        self.workdir = workdir
        self.timeout = timeout

    def run(self, *arguments: str) -> AlembicRun:
        """Run ``alembic -c <release's ini> <arguments>``; never raises on a failed migration."""
        started = time.monotonic()
        exit_code, output = self._execute(arguments)
        return AlembicRun(self.release.spec.label, tuple(arguments), exit_code, output, time.monotonic() - started)

    def bootstrap(self) -> AlembicRun:
        """``python -m mcpgateway.bootstrap_db``: the release's own schema bootstrap, what the chart's migration Job
        runs (an empty database: create and stamp; an existing one: upgrade to its head)."""
        started = time.monotonic()
        exit_code, output = self._execute_python(MIGRATION_JOB)
        return AlembicRun(
            self.release.spec.label,
            (),
            exit_code,
            output,
            time.monotonic() - started,
            "python -m mcpgateway.bootstrap_db",
        )

    def _execute(self, arguments: tuple[str, ...]) -> tuple[int, str]:
        return self._execute_command(
            [str(self.release.bin("alembic")), "-c", str(self.release.alembic_ini), *arguments],
            f"alembic {' '.join(arguments)}",
        )

    def _execute_python(self, arguments: tuple[str, ...]) -> tuple[int, str]:
        return self._execute_command([str(self.release.bin("python")), *arguments], f"python {' '.join(arguments)}")

    def _execute_command(self, command: list[str], what: str) -> tuple[int, str]:
        try:
            result = subprocess.run(
                command,
                cwd=self.workdir,
                env=self.environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=self.timeout,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise SuiteError(
                f"{self.release.spec.label}'s {Path(command[0]).name} program is missing ({command[0]}): its venv is "
                "incomplete; delete it to reinstall"
            ) from None
        except subprocess.TimeoutExpired as expired:
            raise SuiteError(
                f"{what} of {self.release.spec.label} did not finish within migration_timeout={self.timeout:.0f} s"
            ) from expired
        return result.returncode, result.stdout

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

    def _execute(self, arguments: tuple[str, ...]) -> tuple[int, str]:
        return self._in_container(
            ["sh", "-c", ALEMBIC_IN_IMAGE, "alembic", *arguments], f"alembic {' '.join(arguments)}"
        )

    def _execute_python(self, arguments: tuple[str, ...]) -> tuple[int, str]:
        return self._in_container(["python", *arguments], f"python {' '.join(arguments)}")

    def _in_container(self, command: list[str], what: str) -> tuple[int, str]:
        exit_code, output = self.engine.run_once(
            self.image,
            command,
            container_environment(self.environment),
            bind_mounts(self.environment["DATABASE_URL"]),
            f"migration {what}",
            self.timeout,
            f"{what} of {self.release.spec.label}",
        )
        return exit_code, f"# suite: one-off container of {self.image}\n{output}"
