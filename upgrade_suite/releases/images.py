"""A container image per release: upstream's when a registry serves it, otherwise built here and cached.

Upstream publishes ``ghcr.io/ibm/mcp-context-forge:<tag>``. Where no registry is reachable (this
machine, CI) the image is built locally, with no network inside the build:

- a Debian base made from Debian's archive (``debootstrap --variant=minbase`` with python3, then
  ``docker import``), built once per machine: bookworm (Python 3.11) for releases on 3.11, trixie
  (Python 3.13) for those that need 3.12+ (1.0.8 on), the same minor their venv runs on;
- the release's wheels, fetched on the host for exactly the versions frozen in the release's
  venv (so the image runs what the process driver runs, resolved as of the release's day);
- installed into ``/app/.venv`` with uv from local files only, then started the way upstream's
  image starts: gunicorn with uvicorn workers serving ``mcpgateway.main:app`` on ``$HOST:$PORT``,
  from ``/app``, with upstream's ``PATH``, ``HTTP_SERVER`` and Python settings.

Images are tagged by the release's cache key, so a second run (or the next scenario) reuses them;
a file lock keeps concurrent runs from building the same image twice.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from uv import find_uv_bin

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.progress import console
from upgrade_suite.releases.specs import Release

UPSTREAM_REPOSITORY = "ghcr.io/ibm/mcp-context-forge"
LOCAL_REPOSITORY = "gateway-upgrade-suite/mcp-context-forge"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
#: Python minor of a release's venv -> the Debian suite whose python3 is that minor: the wheels copied into the
#: image are those of the venv, so the image's interpreter must be the same minor.
BASES = {"3.11": "bookworm", "3.13": "trixie"}


def base_image(suite: str) -> str:
    return f"gateway-upgrade-suite/debian:{suite}-python3"


#: Bump when the way an image is built changes, so old images are not reused.
RECIPE = "2"

#: What upstream's run-gunicorn.sh runs (gunicorn.config.py: bind settings.host:settings.port, preload).
_ENTRYPOINT = """#!/bin/sh
# Started like upstream's image: gunicorn, uvicorn workers, mcpgateway.main:app on $HOST:$PORT.
exec gunicorn --worker-class uvicorn.workers.UvicornWorker \\
    --workers "${GUNICORN_WORKERS:-2}" --timeout "${GUNICORN_TIMEOUT:-600}" \\
    --max-requests "${GUNICORN_MAX_REQUESTS:-100000}" --max-requests-jitter "${GUNICORN_MAX_REQUESTS_JITTER:-100}" \\
    --bind "${HOST:-0.0.0.0}:${PORT:-4444}" --preload --access-logfile /dev/null --error-logfile - \\
    --forwarded-allow-ips="*" mcpgateway.main:app
"""

_DOCKERFILE = """FROM {base}
COPY uv /usr/local/bin/uv
COPY wheels /tmp/wheels
RUN uv venv --quiet --python /usr/bin/python3 /app/.venv \\
 && uv pip install --quiet --python /app/.venv/bin/python --offline --no-index --no-deps --compile-bytecode /tmp/wheels/*.whl \\
 && rm -rf /tmp/wheels /root/.cache
COPY entrypoint.sh /app/run-gateway.sh
WORKDIR /app
ENV PATH=/app/.venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HTTP_SERVER=gunicorn LANG=C.UTF-8
EXPOSE 4444
LABEL gateway-upgrade-suite.release={version} gateway-upgrade-suite.key={key}
CMD ["/app/run-gateway.sh"]
"""  # noqa: E501  (the Dockerfile's lines stay as Docker reads them)


def upstream_tag(version: str) -> str:
    """Upstream's image tag for a PyPI version: ``1.0.0rc1`` is published as ``1.0.0-RC-1``."""
    for marker, spelled in (("rc", "-RC-"), ("b", "-BETA-")):
        base, found, number = version.partition(marker)
        if found and base[-1:].isdigit() and number.isdigit():
            return f"{base}{spelled}{number}"
    return version


def registry_reachable(host: str = "ghcr.io", timeout: float = 3.0) -> bool:
    """Whether the registry answers at all: a quick TCP connect, so a missing network never hangs a run."""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


class GatewayImages:
    """Images of releases for one Docker engine: found, pulled or built, then reused."""

    def __init__(self, client, cache_dir: Path, timeout: float) -> None:
        self.client = client
        self.cache_dir = cache_dir / "images"
        self.timeout = timeout
        self._registry: bool | None = None
        self.built: dict[str, float] = {}  # tag -> seconds it took to make (0 when cached)

    def image_for(self, release: Release) -> str:
        """The image tag to run ``release`` from: upstream's when it is here or pullable, else a local build."""
        if release.spec.kind == "pypi":
            upstream = f"{UPSTREAM_REPOSITORY}:{upstream_tag(release.version)}"
            if self.exists(upstream) or self._pull(upstream):
                return upstream
        if _minor(release) not in BASES:
            raise SuiteError(
                f"{release.spec.label} runs on Python {release.info['python']} "
                f"({release.spec.interpreter.route if release.spec.interpreter else ''}), but locally built images "
                f"have Debian's Python {' or '.join(BASES)} only: use -D driver=process for it"
            )
        tag = f"{LOCAL_REPOSITORY}:{release.version.replace('+', '_')}-{release.spec.key}-r{RECIPE}"
        with self._lock(tag):
            if self.exists(tag):
                self.built.setdefault(tag, 0.0)
            else:
                started = time.monotonic()
                self._build(release, tag)
                self.built[tag] = time.monotonic() - started
        return tag

    def exists(self, tag: str) -> bool:
        """Whether the engine holds ``tag``."""
        import docker.errors

        try:
            self.client.images.get(tag)
            return True
        except docker.errors.ImageNotFound:
            return False

    def _pull(self, tag: str) -> bool:
        """Pull upstream's image when a registry is reachable (checked once per run)."""
        import docker.errors

        if self._registry is None:
            self._registry = registry_reachable()
            if not self._registry:
                console.print(
                    "[dim]no image registry is reachable: gateway images are built locally from Debian's archive and "
                    "PyPI wheels[/dim]"
                )
        if not self._registry:
            return False
        try:
            self.client.images.pull(tag)
            return True
        except docker.errors.APIError:
            return False

    @contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with (self.cache_dir / f"{name.replace('/', '_').replace(':', '_')}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def base(self, suite: str) -> str:
        """Debian ``suite`` with python3, from Debian's archive: made once per machine (about a minute)."""
        image = base_image(suite)
        with self._lock(image):
            if self.exists(image):
                return image
            if not shutil.which("debootstrap"):
                raise SuiteError(
                    "debootstrap is missing (it makes the gateway image's base from Debian's archive): run make "
                    "docker-setup"
                )
            console.print(f"[dim]building {image} with debootstrap (once per machine)[/dim]")
            with tempfile.TemporaryDirectory(prefix="upg-rootfs-") as scratch:
                rootfs, tarball = Path(scratch) / "rootfs", Path(scratch) / "rootfs.tar"
                _run(
                    [
                        "debootstrap",
                        "--variant=minbase",
                        "--include=python3,python3-venv,ca-certificates",
                        suite,
                        str(rootfs),
                        DEBIAN_MIRROR,
                    ],
                    "debootstrap of the Debian base image",
                    self.timeout,
                )
                _run(
                    ["tar", "-C", str(rootfs), "-cf", str(tarball), "."], "packing the Debian base image", self.timeout
                )
                repository, tag = image.split(":")
                self.client.api.import_image(
                    src=str(tarball), repository=repository, tag=tag, changes=["ENV LANG=C.UTF-8"]
                )
            return image

    def wheels(self, release: Release) -> Path:
        """The wheels of every package in the release's venv, at the frozen versions, fetched on the host once."""
        target = self.cache_dir / f"wheels-{release.version}-{release.spec.key}-r{RECIPE}"
        if (target / ".complete").exists():
            return target
        frozen = subprocess.run(
            [find_uv_bin(), "pip", "freeze", "--python", str(release.python)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        (target / "requirements.txt").write_text(frozen)
        minor = _minor(release)
        # The suite's own pip fetches them: on its own minor it may build a wheel from an sdist; for another minor
        # (a release needing 3.12+) it can only take the published wheels for that minor.
        fetch = (
            ["wheel", "--wheel-dir", str(target)]
            if minor == f"{sys.version_info.major}.{sys.version_info.minor}"
            else ["download", "--only-binary=:all:", "--python-version", minor, "--dest", str(target)]
        )
        _run(
            [sys.executable, "-m", "pip", *fetch, "--quiet", "--no-deps", "-r", str(target / "requirements.txt")],
            f"downloading the wheels of {release.spec.label}",
            self.timeout,
        )
        if missing := marker_dependencies(release, self._image_python(BASES[minor])):
            # Measured: a venv on pyenv's 3.11.7 has no async-timeout, which redis requires below 3.11.3, and
            # bookworm's python3 is 3.11.2; 1.0.7's image then failed at import.
            _run(
                [sys.executable, "-m", "pip", *fetch, "--quiet", *missing],
                f"downloading what {release.spec.label}'s packages need on the image's Python",
                self.timeout,
            )
        (target / ".complete").write_text("")
        return target

    def _image_python(self, suite: str) -> str:
        """The full version of the base image's python3 (a patch level can change which dependencies apply)."""
        output = self.client.containers.run(
            self.base(suite), ["python3", "-c", "import platform; print(platform.python_version())"], remove=True
        )
        return output.decode().strip()

    def _build(self, release: Release, tag: str) -> None:
        base = self.base(BASES[_minor(release)])
        wheels = self.wheels(release)
        console.print(f"[dim]building {tag} from {len(list(wheels.glob('*.whl')))} wheels (no network)[/dim]")
        with tempfile.TemporaryDirectory(prefix="upg-image-") as context:
            root = Path(context)
            shutil.copytree(wheels, root / "wheels", ignore=shutil.ignore_patterns("requirements.txt", ".complete"))
            shutil.copy(find_uv_bin(), root / "uv")
            (root / "entrypoint.sh").write_text(_ENTRYPOINT)
            (root / "entrypoint.sh").chmod(0o755)
            (root / "Dockerfile").write_text(
                _DOCKERFILE.format(base=base, version=release.version, key=release.spec.key)
            )
            build(self.client, context, tag, f"the image of {release.spec.label}", network="none")


def build(client, context: str, tag: str, what: str, network: str) -> None:
    """``docker build`` of ``context`` as ``tag`` (no pull: every base is made here); a failure in one line, the
    build's last words."""
    import docker.errors

    try:
        client.images.build(path=context, tag=tag, network_mode=network, rm=True, forcerm=True, pull=False)
    except docker.errors.BuildError as error:
        log = "".join(str(step.get("stream", step.get("error", ""))) for step in error.build_log).strip().splitlines()
        raise SuiteError(f"building {what} failed: {log[-1:] or error}") from None


def _minor(release: Release) -> str:
    """The Python minor the release's venv runs on (``3.13``): its image's base must have the same."""
    return ".".join(str(release.info["python"]).split(".")[:2])


def marker_dependencies(release: Release, python: str) -> list[str]:
    """What the release's installed packages require on Python ``python`` that its venv (another patch level of
    the same minor) did not install: requirements whose markers hold there, not here. Extras are left out."""
    site = next(release.venv.glob("lib/python*/site-packages"))
    distributions = list(importlib.metadata.distributions(path=[str(site)]))
    installed = {canonicalize_name(d.metadata["Name"]) for d in distributions}
    environment: dict[str, str] = {
        **{key: str(value) for key, value in default_environment().items()},
        "python_full_version": python,
        "python_version": python.rsplit(".", 1)[0],
    }
    needed: dict[str, str] = {}
    for distribution in distributions:
        for line in distribution.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is not None and ("extra" in str(marker) or not marker.evaluate(environment)):
                continue
            if canonicalize_name(requirement.name) not in installed:
                needed[canonicalize_name(requirement.name)] = f"{requirement.name}{requirement.specifier}"
    return sorted(needed.values())


def _run(command: list[str], what: str, timeout: float) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SuiteError(f"{what} did not finish within install_timeout={timeout:.0f} s") from None
    if result.returncode != 0:
        raise SuiteError(f"{what} failed: {(result.stderr or result.stdout).strip().splitlines()[-1:]}")
