"""The suite's own image: what a pod runs to be one shard of the matrix (``make matrix ARGS="-D engine=kubernetes"``).

A shard in a pod is the same behave run ``make matrix JOBS=N`` starts on this machine, so the image holds the same
things: the suite's files (``FILES``), a venv of requirements.txt on Debian bookworm's python3 (3.11, the minor the
suite is written for) and the tools the suite calls inside a cell (``useradd``, which pgserver runs as root to get a
user for PostgreSQL; ``tar``, which ``kubectl exec`` streams the shard's reports with). It is built from the same
debootstrapped base the release images start from (``releases/images.py``), with the host's network during the
build: requirements.txt is resolved by uv from PyPI as ``make bootstrap`` resolves it, and apt reads Debian's
archive. The host's CA bundle goes in, so the pod trusts the registries the host trusts.

The releases under test are not in the image: a pod builds their venvs (and the Python they need) into the cache
mounted from its node, as ``make matrix`` does into ``~/.cache``. The tag is a hash of everything copied in, so a
changed suite gives a new image and an unchanged one is reused.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from uv import find_uv_bin

from upgrade_suite.base.config import default_cache_dir
from upgrade_suite.base.progress import console
from upgrade_suite.releases.images import GatewayImages, build

ROOT = Path(__file__).resolve().parents[2]
#: What of the checkout a shard needs: behave's configuration and hooks, the features, steps and library.
FILES = ("behave.ini", "environment.py", "requirements.txt", "features", "steps", "upgrade_suite")
REPOSITORY = "gateway-upgrade-suite/suite"
#: Where the suite lives in the image, and its venv.
HOME = "/suite"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
#: Bump when the recipe below changes in a way the copied files do not show.
RECIPE = 1

_DOCKERFILE = """\
FROM {base}
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN apt-get update -q && apt-get install -q -y --no-install-recommends passwd tar procps libreadline8 libuuid1 \\
    && rm -rf /var/lib/apt/lists/*
COPY uv /usr/local/bin/uv
COPY suite/requirements.txt {home}/requirements.txt
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt UV_NATIVE_TLS=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt
RUN uv venv --quiet --python /usr/bin/python3 {home}/.venv \\
    && uv pip install --quiet --python {home}/.venv/bin/python -r {home}/requirements.txt
COPY suite {home}
ENV PATH={home}/.venv/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin PYTHONPATH={home} HOME=/root \\
    PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8
WORKDIR {home}
"""


def _files(root: Path) -> list[Path]:
    """Every file ``FILES`` names, sorted, without bytecode caches or drafts."""
    found: list[Path] = []
    for name in FILES:
        path = root / name
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        found += [p for p in candidates if "__pycache__" not in p.parts and p.suffix not in (".pyc", ".draft")]
    return found


def tag(root: Path = ROOT) -> str:
    """The image's tag: a hash of the recipe and every file copied in (the suite's and the CA bundle)."""
    digest = hashlib.sha256(f"{RECIPE}\n{_DOCKERFILE}".encode())
    for path in [*_files(root), CA_BUNDLE]:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return f"{REPOSITORY}:{digest.hexdigest()[:16]}"


def ensure(client: Any, cache_dir: Path, timeout: float, root: Path = ROOT) -> str:
    """The suite's image in the Docker engine, built when its tag is missing; its tag."""
    images = GatewayImages(client, cache_dir, timeout)
    wanted = tag(root)
    if images.exists(wanted):
        return wanted
    base = images.base("bookworm")
    console.print(f"[dim]building {wanted}: the suite and its requirements on {base}[/dim]")
    with tempfile.TemporaryDirectory(prefix="upg-suite-image-") as context:
        directory = Path(context)
        for path in _files(root):
            target = directory / "suite" / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        shutil.copyfile(CA_BUNDLE, directory / "ca-certificates.crt")
        shutil.copy(find_uv_bin(), directory / "uv")
        (directory / "Dockerfile").write_text(_DOCKERFILE.format(base=base, home=HOME))
        build(client, context, wanted, "the suite's image", network="host")
    return wanted


def main() -> int:
    """``python -m upgrade_suite.cluster.suite_image``: build the image and print its tag, for a user who pushes it
    to their cluster's registry and names it with ``-D suite_image=``."""
    from upgrade_suite.base.errors import SuiteError
    from upgrade_suite.services.engine import connect

    try:
        print(ensure(connect(), default_cache_dir(), 1800.0))
    except SuiteError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
