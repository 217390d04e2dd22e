"""``make matrix JOBS=N ARGS="-D engine=kubernetes"``: the shards as one Indexed Job (``indexed_job``), on the suite's
own node or on a cluster of yours (``-D kube_context=``), their reports brought back into
``<reports>/matrix-shards/I-of-N`` so that ``jobs.finish`` merges them exactly as it merges shards run here.

On the suite's node the whole cluster is this run's: the node is built and started (``cluster/node.py``), the
suite's image built and imported (``cluster/suite_image.py``), and both are gone afterwards, the Job with them. On
yours the Job is the run's and is deleted at the end, however the run ends (a failure, Ctrl-C, SIGTERM); nothing
else of the cluster is touched.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from upgrade_suite.base.config import default_cache_dir
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.waiting import sigterm_as_interrupt
from upgrade_suite.cluster.node import run_kubectl
from upgrade_suite.matrix.indexed_job import (
    COLLECTED,
    REPORTS,
    STATUS,
    ClusterOptions,
    PodState,
    cache_path,
    manifest,
    pods,
    stuck,
)
from upgrade_suite.matrix.results import log, shard_dir

#: kubectl bound to one cluster: its arguments -> stdout, or a SuiteError saying what failed.
Kubectl = Callable[..., str]
#: How long a pod may stay unstarted (no node with room, an image still pulling) before the run gives up.
START_LIMIT_S = 900.0
POLL_S = 5.0
#: Building the suite's image and the release venvs' wheels: what ``install_timeout`` allows a release's venv.
BUILD_TIMEOUT_S = 1800.0


def _your_kubectl(context: str) -> Kubectl:
    """kubectl on PATH, bound to ``context``."""
    if shutil.which("kubectl") is None:
        raise SuiteError(f"kubectl is not installed and -D kube_context={context} asks for it: install kubectl")

    def kubectl(*args: str, stdin: str | None = None, timeout: float = 60.0) -> str:
        return run_kubectl(["kubectl", "--context", context], args, stdin, timeout)

    return kubectl


@contextmanager
def cluster(options: ClusterOptions, console: Console) -> Iterator[tuple[Kubectl, str, str]]:
    """kubectl for the cluster, the image the shards run and its pull policy; the suite's node started (and stopped
    after) when no context is given."""
    if not options.own_node:
        assert options.context is not None and options.image is not None, "indexed_job.split requires both"
        yield _your_kubectl(options.context), options.image, "IfNotPresent"
        return
    from upgrade_suite.cluster.build import ensure_built
    from upgrade_suite.cluster.helm import state_directory
    from upgrade_suite.cluster.images import docker_saved
    from upgrade_suite.cluster.node import Node, check_host
    from upgrade_suite.cluster.suite_image import ensure
    from upgrade_suite.services.engine import connect

    check_host()
    client = connect()
    image = ensure(client, default_cache_dir(), BUILD_TIMEOUT_S)
    binaries = ensure_built()
    with state_directory() as state:
        console.print(f"matrix: starting the suite's node in {state}")
        with Node(state, binaries, images=[docker_saved(client, image, state)]) as node:
            yield node.kubectl, image, "Never"


def run_shards(
    count: int, options: ClusterOptions, arguments: list[str], reports: Path, console: Console
) -> dict[Path, int]:
    """The Job of ``count`` shards applied, its pods' reports collected as each ends, the Job deleted: each shard's
    reports directory and exit status, in shard order."""
    name = f"upgrade-matrix-{secrets.token_hex(3)}"
    with sigterm_as_interrupt(), cluster(options, console) as (kubectl, image, pull):
        cache = cache_path(options, default_cache_dir())
        job = manifest(name, image, count, arguments, cache, pull)
        kubectl("apply", "-f", "-", stdin=json.dumps(job))
        console.print(f"matrix: Job {name}: {count} shards of {image}, release cache {cache} on each node")
        try:
            return Collector(kubectl, name, count, reports, console).wait()
        finally:
            kubectl("delete", "job", name, "--cascade=foreground", "--ignore-not-found", "--wait=true", timeout=180)


class Collector:
    """Reads the Job's pods until every shard has ended, taking each one's reports as it finishes."""

    def __init__(self, kubectl: Kubectl, job: str, count: int, reports: Path, console: Console) -> None:
        self.kubectl = kubectl
        self.job = job
        self.count = count
        self.reports = reports
        self.console = console
        self.ended: dict[int, int] = {}
        self.running: set[int] = set()
        self._started = time.monotonic()

    def wait(self) -> dict[Path, int]:
        while len(self.ended) < self.count:
            listing = self.kubectl("get", "pods", "-l", f"job-name={self.job}", "-o", "json")
            for pod in pods(listing):
                if 1 <= pod.shard <= self.count and pod.shard not in self.ended:
                    self._read(pod)
            if len(self.ended) < self.count:
                time.sleep(POLL_S)
        return {shard_dir(self.reports, index, self.count): self.ended[index] for index in sorted(self.ended)}

    def _read(self, pod: PodState) -> None:
        if pod.running:
            if pod.shard not in self.running:
                self.running.add(pod.shard)
                self._say(f"shard {pod.shard}/{self.count} running in pod {pod.name}")
            status = self._status(pod)
            if status is not None:
                self._take(pod, status)
        elif pod.ended:
            self._lost(pod)
        elif reason := stuck(pod, time.monotonic() - self._started, START_LIMIT_S):
            raise SuiteError(reason)

    def _status(self, pod: PodState) -> int | None:
        """The shard's exit status once it wrote one, else None (still judging its cells)."""
        try:
            text = self.kubectl("exec", pod.name, "-c", "shard", "--", "cat", STATUS).strip()
        except SuiteError:
            return None
        return int(text) if text.lstrip("-").isdigit() else None

    def _take(self, pod: PodState, status: int) -> None:
        """The pod's reports into the shard's directory, then the word that lets it end."""
        directory = shard_dir(self.reports, pod.shard, self.count)
        shutil.rmtree(directory, ignore_errors=True)
        directory.parent.mkdir(parents=True, exist_ok=True)
        self.kubectl("cp", "-c", "shard", f"{pod.name}:{REPORTS}", str(directory), timeout=900)
        self.kubectl("exec", pod.name, "-c", "shard", "--", "touch", COLLECTED)
        self.ended[pod.shard] = status
        self._say(f"shard {pod.shard}/{self.count} ended (exit {status}); its reports in {directory}")

    def _lost(self, pod: PodState) -> None:
        """A pod that ended without handing its reports over (killed, evicted, out of memory): its log is what is
        left of the shard, kept where the shard's output would be."""
        directory = shard_dir(self.reports, pod.shard, self.count)
        directory.mkdir(parents=True, exist_ok=True)
        try:
            text = self.kubectl("logs", pod.name, "-c", "shard", timeout=120)
        except SuiteError as error:
            text = str(error)
        why = f"the pod {pod.name} ended before its reports were taken: {pod.reason or pod.phase}, exit {pod.exit_code}"
        log(directory).write_text(f"{text}\n{why}\n")
        self.ended[pod.shard] = pod.exit_code or 1
        self._say(f"shard {pod.shard}/{self.count}: {why}")

    def _say(self, line: str) -> None:
        self.console.print(f"matrix: {line} ({time.monotonic() - self._started:.0f} s)")
