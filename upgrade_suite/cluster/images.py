"""Container images written by the suite itself: files + entrypoint -> an OCI image-layout tarball.

No registry, no docker and no base image: the node pulls nothing (pods say ``imagePullPolicy: Never``) and
its private containerd imports each tarball with ``ctr images import``. One uncompressed layer, made
deterministically (sorted entries, owner 0, mtime 0), so the same files give the same digest. The pod
sandbox's pause image is a ten-line static C program (``gcc -static``), which is all pause has to do.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.waiting import bounded_run

PAUSE_IMAGE = "registry.k8s.io/pause:3.10"

#: The pod sandbox's process: exits on SIGTERM/SIGINT, reaps children, otherwise sleeps.
PAUSE_C = r"""#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void sigdown(int s) { _exit(0); }
static void sigreap(int s) { while (waitpid(-1, NULL, WNOHANG) > 0); }
int main(void) {
  struct sigaction a = {0};
  a.sa_handler = sigdown; sigaction(SIGINT, &a, NULL); sigaction(SIGTERM, &a, NULL);
  a.sa_handler = sigreap; a.sa_flags = SA_NOCLDSTOP; sigaction(SIGCHLD, &a, NULL);
  for (;;) pause();
}
"""

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar"
INDEX = "application/vnd.oci.image.index.v1+json"


@dataclass(frozen=True)
class ImageFile:
    """A file in the image: its content, or a symlink target when ``link`` is set."""

    data: bytes = b""
    mode: int = 0o644
    link: str = ""


@dataclass(frozen=True)
class Image:
    """A tarball to import and what identifies its content: the manifest's digest of one the suite wrote, the
    engine's image id of one saved from Docker."""

    ref: str
    tarball: Path
    digest: str


def _tar_info(name: str, size: int = 0, mode: int = 0o755, kind: bytes = tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.type, info.mtime = size, mode, kind, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def layer(files: Mapping[str, ImageFile]) -> bytes:
    """One layer: every file with its parent directories, sorted, owned by root, dated 1970."""
    paths = {PurePosixPath(path.lstrip("/")) for path in files}
    directories = sorted({str(parent) for path in paths for parent in path.parents if str(parent) != "."})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in directories:
            tar.addfile(_tar_info(directory, kind=tarfile.DIRTYPE))
        for path in sorted(files):
            item, name = files[path], path.lstrip("/")
            if item.link:
                info = _tar_info(name, mode=0o777, kind=tarfile.SYMTYPE)
                info.linkname = item.link
                tar.addfile(info)
            else:
                tar.addfile(_tar_info(name, len(item.data), item.mode), io.BytesIO(item.data))
    return buffer.getvalue()


def _descriptor(media_type: str, blob: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(blob).hexdigest(), "size": len(blob)}


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def oci_tarball(
    ref: str, files: Mapping[str, ImageFile], entrypoint: Sequence[str], out: Path, cmd: Sequence[str] = ()
) -> Image:
    """Write ``ref`` (name:tag) as an OCI image layout tarball at ``out``; containerd names it by the index's
    ``io.containerd.image.name`` annotation."""
    layer_blob = layer(files)
    created = "1970-01-01T00:00:00Z"
    config_blob = _json(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": created,
            "config": {
                "Entrypoint": list(entrypoint),
                "Cmd": list(cmd) or None,
                "Env": ["PATH=/bin:/usr/bin:/sbin"],
                "WorkingDir": "/",
            },
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_blob).hexdigest()]},
            "history": [{"created": created, "created_by": "upgrade_suite.cluster.images"}],
        }
    )
    manifest_blob = _json(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": _descriptor(CONFIG, config_blob),
            "layers": [_descriptor(LAYER, layer_blob)],
        }
    )
    manifest = _descriptor(MANIFEST, manifest_blob)
    annotations = {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.rpartition(":")[2]}
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [{**manifest, "platform": {"architecture": "amd64", "os": "linux"}, "annotations": annotations}],
    }
    entries = {
        "oci-layout": _json({"imageLayoutVersion": "1.0.0"}),
        "index.json": _json(index),
        **{f"blobs/sha256/{hashlib.sha256(b).hexdigest()}": b for b in (layer_blob, config_blob, manifest_blob)},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        for directory in ("blobs", "blobs/sha256"):
            tar.addfile(_tar_info(directory, kind=tarfile.DIRTYPE))
        for name, blob in entries.items():
            tar.addfile(_tar_info(name, len(blob), 0o644), io.BytesIO(blob))
    partial.replace(out)
    return Image(ref, out, str(manifest["digest"]))


def pause_image(workdir: Path) -> Image:
    """The sandbox image: PAUSE_C built with ``gcc -static`` (686 KB), as ``registry.k8s.io/pause:3.10``."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise SuiteError("gcc is not installed and the node's pause image is built with it: apt-get install gcc")
    workdir.mkdir(parents=True, exist_ok=True)
    source, binary = workdir / "pause.c", workdir / "pause"
    source.write_text(PAUSE_C)
    result = bounded_run([gcc, "-static", "-Os", "-s", "-o", str(binary), str(source)], "gcc building pause", 120)
    if result.returncode != 0:
        raise SuiteError(
            f"gcc -static could not build the pause image (is libc6-dev installed?): {result.stderr[-300:]}"
        )
    files = {"pause": ImageFile(binary.read_bytes(), 0o755)}
    return oci_tarball(PAUSE_IMAGE, files, ["/pause"], workdir / "pause.tar")


def docker_saved(client: Any, tag: str, workdir: Path) -> Image:
    """An image the docker driver built (a release's gateway: ``releases/images.py``), saved from the Docker engine
    as a tarball the node's containerd imports under the same name. The node's containerd is a private instance
    that shares nothing with the engine's, so the image crosses as a file; ``digest`` is the engine's image id."""
    import docker.errors

    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        raise SuiteError(f"the Docker engine has no image {tag}: build it first (the docker driver does)") from None
    tarball = workdir / f"{tag.replace('/', '_').replace(':', '_')}.tar"
    with tarball.open("wb") as out:
        for chunk in image.save(named=True):
            out.write(chunk)
    return Image(tag, tarball, str(image.id))


def import_image(ctr: str, socket: Path, image: Image) -> None:
    """Import a tarball into the private containerd's Kubernetes namespace (where the kubelet looks)."""
    result = subprocess.run(
        [ctr, "-a", str(socket), "-n", "k8s.io", "images", "import", str(image.tarball)],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if result.returncode != 0:
        raise SuiteError(f"ctr could not import {image.ref} from {image.tarball}: {result.stderr.strip()[-300:]}")
