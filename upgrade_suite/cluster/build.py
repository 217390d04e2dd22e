"""Every binary of the node, built from Go modules through the module proxy into the suite's cache.

No release tarball and no distribution package: Kubernetes, etcd, helm, the CNI plugins and crictl are Go
modules, so one route (``GOPROXY``, checksummed by ``sum.golang.org``) gives all of them at a pinned version.
Each binary is built into a temporary directory beside the cache and renamed into place, so a build
interrupted (Ctrl-C, a crash) leaves no half-written binary where the node would find it; a binary already
in the cache is not built again, so an interrupted build resumes where it stopped. Measured on this 2-core
machine (one core, nice 19): cold, the six Kubernetes binaries take about 16 minutes and helm about 4.5;
with warm Go caches everything relinks in a few minutes.

``python -m upgrade_suite.cluster.build`` (``make cluster-setup``) runs it; the node's test calls
``ensure_built``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from upgrade_suite.base.config import default_cache_dir
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.progress import console

# The versions of everything the node runs, in one place.
KUBERNETES = "v1.37.2"
ETCD = "v3.7.4"
HELM = "v4.3.2"
CNI_PLUGINS = "v1.10.0"
CRICTL = "v1.37.0"
#: The CNI plugins' go.mod says ``go 1.26.8`` (Kubernetes' says 1.26.0); an older Go would fetch a toolchain.
GO_NEEDED = (1, 26, 8)
#: A fixed build date, so the same sources give the same binaries (the version flags are link-time only).
BUILD_DATE = "2026-12-07T00:00:00Z"

#: k8s.io/kubernetes requires these at v0.0.0 and replaces them with its ./staging tree; each is published as
#: its own module at v0.<minor>.<patch> of the release (sample-cli-plugin and sample-controller are not
#: required, and not served at v0.37.2).
STAGING_MODULES = (
    "api",
    "apiextensions-apiserver",
    "apimachinery",
    "apiserver",
    "cli-runtime",
    "client-go",
    "cloud-provider",
    "cluster-bootstrap",
    "code-generator",
    "component-base",
    "component-helpers",
    "controller-manager",
    "cri-api",
    "cri-client",
    "cri-streaming",
    "csi-translation-lib",
    "dynamic-resource-allocation",
    "endpointslice",
    "externaljwt",
    "kms",
    "kube-aggregator",
    "kube-controller-manager",
    "kube-proxy",
    "kube-scheduler",
    "kubectl",
    "kubelet",
    "metrics",
    "mount-utils",
    "pod-security-admission",
    "sample-apiserver",
    "streaming",
)
KUBE_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl")
ETCD_MODULES = ("server", "etcdctl", "api", "client/pkg", "client", "pkg")
CNI_PLUGIN_PACKAGES = ("main/bridge", "ipam/host-local", "main/loopback", "meta/portmap", "meta/firewall")


def staging_version(kubernetes: str = KUBERNETES) -> str:
    """The version its staging modules are published at: v1.37.2 -> v0.37.2."""
    return "v0." + kubernetes.removeprefix("v1.")


def _tools_go(packages: Sequence[str]) -> str:
    imports = "".join(f'\t_ "{package}"\n' for package in packages)
    return f"//go:build tools\n\npackage tools\n\nimport (\n{imports})\n"


def kubernetes_wrapper(kubernetes: str = KUBERNETES) -> dict[str, str]:
    """The module the Kubernetes commands are built in: its go.mod and tools.go.

    Why a wrapper: ``go install k8s.io/kubernetes/cmd/kube-apiserver@v1.37.2`` fails with "The go.mod file for the
    module providing named packages contains one or more replace directives. It must not contain directives that
    would cause it to be interpreted differently than if it were the main module." (k8s.io/kubernetes points its
    staging modules at ./staging). As the main module's dependency its replaces are ignored, so the wrapper gives
    its own: each staging module at its published version. tools.go keeps the commands in the module graph, so
    ``go mod tidy`` writes go.sum for them.
    """
    version = staging_version(kubernetes)
    replaces = "".join(f"\tk8s.io/{name} => k8s.io/{name} {version}\n" for name in STAGING_MODULES)
    go_mod = (
        f"module example.com/kwrap\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes {kubernetes}\n\nreplace (\n{replaces})\n"
    )
    return {"go.mod": go_mod, "tools.go": _tools_go([f"k8s.io/kubernetes/cmd/{c}" for c in KUBE_COMMANDS])}


def etcd_wrapper(etcd: str = ETCD) -> dict[str, str]:
    """The module etcd is built in: etcd's server and etcdctl replace their sibling modules with ../ paths (the
    same refusal as Kubernetes'), so the wrapper requires every sibling at the release's version instead."""
    requires = "".join(f"\tgo.etcd.io/etcd/{name}/v3 {etcd}\n" for name in ETCD_MODULES)
    go_mod = f"module example.com/etcdwrap\n\ngo 1.26.0\n\nrequire (\n{requires})\n"
    return {"go.mod": go_mod, "tools.go": _tools_go(["go.etcd.io/etcd/server/v3", "go.etcd.io/etcd/etcdctl/v3"])}


WRAPPERS: dict[str, Callable[[], dict[str, str]]] = {"kubernetes": kubernetes_wrapper, "etcd": etcd_wrapper}


@dataclass(frozen=True)
class Binary:
    """One binary of the node: ``go build`` in a wrapper module, or ``go install package@version``."""

    name: str  # its path under the bin directory
    package: str
    ldflags: str = "-s -w"
    version: str = ""  # go install's @version; empty when built inside ``wrapper``
    wrapper: str = ""


def _kube_ldflags() -> str:
    major, minor = KUBERNETES.removeprefix("v").split(".")[:2]
    flags = ["-s", "-w"]
    for package in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        for key, value in (
            ("gitVersion", KUBERNETES),
            ("gitMajor", major),
            ("gitMinor", minor),
            ("gitTreeState", "clean"),
            ("buildDate", BUILD_DATE),
        ):
            flags.append(f"-X {package}.{key}={value}")
    return " ".join(flags)


BINARIES = (
    *(Binary(c, f"k8s.io/kubernetes/cmd/{c}", _kube_ldflags(), wrapper="kubernetes") for c in KUBE_COMMANDS),
    Binary("etcd", "go.etcd.io/etcd/server/v3", wrapper="etcd"),
    Binary("etcdctl", "go.etcd.io/etcd/etcdctl/v3", wrapper="etcd"),
    Binary("helm", "helm.sh/helm/v4/cmd/helm", f"-s -w -X helm.sh/helm/v4/internal/version.version={HELM}", HELM),
    Binary(
        "crictl",
        "sigs.k8s.io/cri-tools/cmd/crictl",
        f"-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version={CRICTL}",
        CRICTL,
    ),
    *(
        Binary(
            f"cni/{p.rpartition('/')[2]}", f"github.com/containernetworking/plugins/plugins/{p}", version=CNI_PLUGINS
        )
        for p in CNI_PLUGIN_PACKAGES
    ),
)


def bin_dir(cache: Path | None = None) -> Path:
    """Where the node's binaries live: one directory per Kubernetes version (CNI plugins in ``cni/``)."""
    return (cache or default_cache_dir()) / "cluster" / KUBERNETES / "bin"


def missing(binaries_dir: Path) -> list[Binary]:
    return [binary for binary in BINARIES if not (binaries_dir / binary.name).is_file()]


@dataclass(frozen=True)
class GoCaches:
    """Go's module and build caches: under the suite's cache unless pointed elsewhere (a warm cache saves 16 min)."""

    modcache: Path
    buildcache: Path

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> GoCaches:
        root = default_cache_dir(environ) / "cluster" / "go"
        return cls(
            Path(environ.get("UPGRADE_SUITE_GOMODCACHE") or root / "modcache"),
            Path(environ.get("UPGRADE_SUITE_GOCACHE") or root / "buildcache"),
        )

    def environment(self) -> dict[str, str]:
        """One core, nice 19 in the runner: the machine is shared; GOTOOLCHAIN=local: never fetch another Go."""
        return {
            **os.environ,
            "GOMODCACHE": str(self.modcache),
            "GOCACHE": str(self.buildcache),
            "GOMAXPROCS": "1",
            "GOFLAGS": "-p=1 -buildvcs=false",
            "GOTOOLCHAIN": "local",
        }


#: Runs one go command in a directory with an environment; raises SuiteError when it fails.
Runner = Callable[[Sequence[str], Path, Mapping[str, str]], None]


def run_go(command: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float = 3600.0) -> None:
    """A go command at nice 19; its output kept in ``cwd/go.log``, its last line in the error when it fails."""
    log = cwd / "go.log"
    with log.open("w") as out:
        try:
            result = subprocess.run(
                ["nice", "-n", "19", *command], cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise SuiteError(
                f"'{' '.join(command[:3])} …' did not finish within {timeout:.0f} s (log: {log})"
            ) from None
    if result.returncode != 0:
        last = (log.read_text(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise SuiteError(f"'{' '.join(command[:3])} …' failed with status {result.returncode}: {last} (log: {log})")


def go_version(go: str) -> tuple[int, ...]:
    """The local Go's version as numbers (``go env GOVERSION`` -> go1.26.8 -> (1, 26, 8))."""
    env = {**os.environ, "GOTOOLCHAIN": "local"}
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, env=env, timeout=60).stdout
    match = re.match(r"go(\d+)\.(\d+)(?:\.(\d+))?", out.strip())
    if not match:
        raise SuiteError(f"'{go} env GOVERSION' printed {out.strip()!r}, not a Go version: reinstall Go")
    return tuple(int(part or 0) for part in match.groups())


def check_host(
    which: Callable[[str], str | None] = shutil.which, version: Callable[[str], tuple[int, ...]] = go_version
) -> None:
    """What the build and the node need from the machine, checked before any work: one line saying what to do."""
    go = which("go")
    if go is None:
        raise SuiteError("go is not on PATH: the cluster is built from Go modules; install Go 1.26.8 or newer")
    found = version(go)
    if found < GO_NEEDED:
        raise SuiteError(
            f"{go} is Go {'.'.join(map(str, found))}; the cluster's modules need Go {'.'.join(map(str, GO_NEEDED))} "
            "or newer: install it and put it first on PATH"
        )
    for tool in ("containerd", "runc"):
        if which(tool) is None:
            raise SuiteError(
                f"{tool} is not installed and the node runs its pods with it: apt-get install containerd runc"
            )


class Build:
    """Builds what is missing from ``binaries_dir``, one binary at a time, each landing whole or not at all."""

    def __init__(
        self, binaries_dir: Path, caches: GoCaches, runner: Runner = run_go, say: Callable[[str], None] = console.print
    ) -> None:
        self.binaries_dir = binaries_dir
        self.caches = caches
        self.runner = runner
        self.say = say
        self.sources = binaries_dir.parent / "src"

    def run(self) -> list[str]:
        """Build every missing binary; returns the names built (empty when all were there)."""
        todo = missing(self.binaries_dir)
        for stale in self.binaries_dir.glob(".partial-*") if self.binaries_dir.exists() else []:
            shutil.rmtree(stale, ignore_errors=True)  # an interrupted build's temporary directory
        for binary in todo:
            started = time.monotonic()
            with console.status(f"building {binary.name} ({binary.package}) ..."):
                self._build(binary)
            self.say(f"built {binary.name} in {time.monotonic() - started:.1f} s")
        if not todo:
            self.say(f"all {len(BINARIES)} binaries of Kubernetes {KUBERNETES} are built in {self.binaries_dir}")
        return [binary.name for binary in todo]

    def _build(self, binary: Binary) -> None:
        target = self.binaries_dir / binary.name
        target.parent.mkdir(parents=True, exist_ok=True)
        env = self.caches.environment()
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=self.binaries_dir))
        try:
            output = partial / target.name
            if binary.wrapper:
                module = self._wrapper(binary.wrapper, env)
                self.runner(["go", "build", "-ldflags", binary.ldflags, "-o", str(output), binary.package], module, env)
            else:
                command = ["go", "install", "-ldflags", binary.ldflags, f"{binary.package}@{binary.version}"]
                self.sources.mkdir(parents=True, exist_ok=True)  # outside any module: @version builds stand alone
                self.runner(command, self.sources, {**env, "GOBIN": str(partial)})
            if not output.is_file():
                raise SuiteError(f"the build of {binary.name} finished without writing {output.name}")
            os.replace(output, target)  # same file system: the binary appears whole
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def _wrapper(self, name: str, env: Mapping[str, str]) -> Path:
        """The wrapper module, written and tidied once (its stamp is written last, so an interrupted tidy reruns)."""
        module = self.sources / name
        files = WRAPPERS[name]()
        stamp = module / ".generated"
        if stamp.is_file() and stamp.read_text() == files["go.mod"] and (module / "go.sum").is_file():
            return module
        module.mkdir(parents=True, exist_ok=True)
        for file, text in files.items():
            (module / file).write_text(text)
        self.runner(["go", "mod", "tidy"], module, env)
        stamp.write_text(files["go.mod"])
        return module


def ensure_built(binaries_dir: Path | None = None, caches: GoCaches | None = None) -> Path:
    """The node's binaries, built first when any is missing (after the host check). Returns their directory."""
    binaries_dir = binaries_dir or bin_dir()
    if missing(binaries_dir):
        check_host()
        Build(binaries_dir, caches or GoCaches.from_environment()).run()
    return binaries_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Build Kubernetes {KUBERNETES} and its node's tools from Go modules")
    caches = GoCaches.from_environment()
    parser.add_argument("--gomodcache", type=Path, default=caches.modcache, help="Go module cache (GOMODCACHE)")
    parser.add_argument("--gocache", type=Path, default=caches.buildcache, help="Go build cache (GOCACHE)")
    parser.add_argument("--bin-dir", type=Path, default=bin_dir(), help="where the binaries go")
    args = parser.parse_args(argv)
    try:
        check_host()
        Build(args.bin_dir, GoCaches(args.gomodcache, args.gocache)).run()
    except SuiteError as error:
        print(f"cluster build: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cluster build: interrupted; the binaries built so far are kept, run again to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
