"""The matrix's shards as one Kubernetes Indexed Job: its options, its manifest and what its pods say, as pure data.

``make matrix JOBS=N ARGS="-D engine=kubernetes"`` asks for it. Pod ``I`` (the Job's completion index, from 0) runs
shard ``I+1/N``: the behave command ``make matrix`` runs, in the suite's image (``cluster/suite_image.py``), its
reports in the pod's own directory. A pod that has judged its cells writes its exit status and waits; the runner
streams its reports out with ``kubectl exec … tar`` and tells it to end, with the shard's status, so the Job's
record of each index says what its shard said. That needs nothing of the cluster but exec: no shared volume, no
registry of results, the same on one node and on many. Each index runs once (``backoffLimitPerIndex: 0``): a
shard that failed is a finding to read, not one to hide by running it again.

The release venvs a shard builds go to a cache on its node (a ``hostPath``), mounted at the same path as on the
node, since a venv names its interpreter by absolute path: on the suite's own node that is this machine's cache, so
the shards reuse what ``make matrix`` built here; on a cluster of yours it is ``NODE_CACHE`` on every node, filled
by the first shard that runs there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upgrade_suite.base.errors import SuiteError

#: The options this path reads from ARGS (the rest go to every shard's behave).
ENGINE, CONTEXT, IMAGE = "engine", "kube_context", "suite_image"
#: The node path of the release cache on a cluster of yours.
NODE_CACHE = "/var/cache/gateway-upgrade-suite"
#: In the pod: its reports (streamed out at the end) and the two marks the runner and the shard exchange.
REPORTS, SIGNALS = "/reports", "/signals"
STATUS, COLLECTED, PID = f"{SIGNALS}/exit-status", f"{SIGNALS}/collected", f"{SIGNALS}/behave.pid"
OUTPUT = "behave-output.txt"
INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"

#: The shard's script: behave as ``make matrix`` runs it, its output both in the pod's log (progress a user follows
#: with kubectl logs) and in the reports; then the status, and a wait for the runner to take the reports. The shell
#: is the pod's first process, which no signal ends by default: a SIGTERM (the Job deleted) is passed to behave, whose
#: hooks end the scenario as on Ctrl-C, and the pod ends with it instead of at the grace period's SIGKILL.
SCRIPT = f"""\
stop() {{ kill -TERM "$(cat {PID})" 2>/dev/null; wait; exit 143; }}
trap stop TERM
shard=$((JOB_COMPLETION_INDEX + 1))/$SHARDS
{{ behave features/matrix.feature --tags=@matrix "$@" -D shard=$shard -D reports_dir={REPORTS} & echo $! > {PID}; \
wait $!; echo $? > {STATUS}; }} 2>&1 | tee {REPORTS}/{OUTPUT} &
wait $!
while [ ! -e {COLLECTED} ]; do sleep 1; done
exit "$(cat {STATUS})"
"""


@dataclass(frozen=True)
class ClusterOptions:
    """Where the Job runs: the suite's own node (no context), or the cluster of ``context`` with ``image`` in a
    registry it pulls from."""

    context: str | None = None
    image: str | None = None
    cache: str | None = None  # a -D cache_dir= the shards get too: then the node path of the cache

    @property
    def own_node(self) -> bool:
        return self.context is None


def _pairs(arguments: Sequence[str]) -> list[tuple[int, int, str, str]]:
    """Each ``-D name=value`` (as one word or two): its first and last index, name and value."""
    found = []
    index = 0
    while index < len(arguments):
        word, last = arguments[index], index
        if word == "-D" and index + 1 < len(arguments):
            last, word = index + 1, arguments[index + 1]
        elif word.startswith("-D"):
            word = word[2:]
        else:
            index += 1
            continue
        if "=" in word:
            name, value = word.split("=", 1)
            found.append((index, last, name.strip(), value.strip()))
        index = last + 1
    return found


def split(arguments: Sequence[str]) -> tuple[ClusterOptions | None, list[str]]:
    """The cluster options out of ARGS, and the rest for the shards; ``None`` when ``-D engine=`` is not given.
    A bad combination stops here, in one line, before any work."""
    options: dict[str, str] = {}
    dropped: set[int] = set()
    cache = None
    for first, last, name, value in _pairs(arguments):
        cache = value if name == "cache_dir" else cache
        if name in (ENGINE, CONTEXT, IMAGE):
            options[name] = value
            dropped |= set(range(first, last + 1))
    rest = [word for index, word in enumerate(arguments) if index not in dropped]
    if ENGINE not in options:
        if CONTEXT in options or IMAGE in options:
            raise SuiteError(
                f"-D {CONTEXT}= and -D {IMAGE}= of make matrix go with -D {ENGINE}=kubernetes: add it, or drop them"
            )
        return None, rest
    if options[ENGINE] != "kubernetes":
        raise SuiteError(
            f"-D {ENGINE}={options[ENGINE]} is not where make matrix runs: -D {ENGINE}=kubernetes runs its shards as "
            "an Indexed Job (leave it out to run them here)"
        )
    context, image = options.get(CONTEXT) or None, options.get(IMAGE) or None
    if context and not image:
        raise SuiteError(
            f"-D {CONTEXT}={context} needs -D {IMAGE}=<the suite's image in a registry the cluster pulls from>: build "
            "it with python -m upgrade_suite.cluster.suite_image, then push it"
        )
    return ClusterOptions(context, image, cache), rest


def manifest(name: str, image: str, count: int, arguments: Sequence[str], cache: str, pull: str) -> dict[str, Any]:
    """The Job: ``count`` indexes at once, each pod one shard of ``arguments`` (the user's -D options), the release
    cache from ``cache`` on its node. The requests keep one shard per core where a node has room for it."""
    volumes = [
        {"name": "cache", "hostPath": {"path": cache, "type": "DirectoryOrCreate"}},
        {"name": "reports", "emptyDir": {}},
        {"name": "signals", "emptyDir": {}},
    ]
    mounts = [
        {"name": "cache", "mountPath": cache},
        {"name": "reports", "mountPath": REPORTS},
        {"name": "signals", "mountPath": SIGNALS},
    ]
    container = {
        "name": "shard",
        "image": image,
        "imagePullPolicy": pull,
        "command": ["sh", "-c", SCRIPT, "shard", *arguments],
        "env": [
            {"name": "SHARDS", "value": str(count)},
            {"name": "UPGRADE_SUITE_CACHE", "value": cache},
            {"name": "PYTHONUNBUFFERED", "value": "1"},  # behave's progress in kubectl logs as it happens
        ],
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
        "volumeMounts": mounts,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "gateway-upgrade-suite"}},
        "spec": {
            "completionMode": "Indexed",
            "completions": count,
            "parallelism": count,
            "backoffLimitPerIndex": 0,
            "maxFailedIndexes": count,
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/part-of": "gateway-upgrade-suite"}},
                "spec": {
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": 60,
                    "containers": [container],
                    "volumes": volumes,
                },
            },
        },
    }


@dataclass(frozen=True)
class PodState:
    """One pod of the Job as the runner reads it: its shard (from 1), phase, why it is stuck or ended."""

    name: str
    shard: int
    phase: str
    reason: str = ""  # a waiting or terminated container's reason (ImagePullBackOff, OOMKilled, ...)
    exit_code: int | None = None  # set once the container ended

    @property
    def running(self) -> bool:
        return self.phase == "Running"

    @property
    def ended(self) -> bool:
        return self.phase in ("Succeeded", "Failed")


def pods(listing: str) -> list[PodState]:
    """``kubectl get pods -o json`` of the Job -> each pod's state, in shard order."""
    found = []
    for item in json.loads(listing).get("items", []):
        metadata, status = item["metadata"], item.get("status", {})
        shard = int(metadata.get("annotations", {}).get(INDEX_ANNOTATION, "-1")) + 1
        reason, exit_code = "", None
        for container in status.get("containerStatuses", []):
            state = container.get("state", {})
            if "waiting" in state:
                reason = state["waiting"].get("reason", "")
            if "terminated" in state:
                reason = state["terminated"].get("reason", "")
                exit_code = int(state["terminated"].get("exitCode", 1))
        found.append(PodState(metadata["name"], shard, status.get("phase", "Pending"), reason, exit_code))
    return sorted(found, key=lambda pod: pod.shard)


def cache_path(options: ClusterOptions, own_cache: Path) -> str:
    """The node path of the release cache: the one ``-D cache_dir=`` names, else this machine's on the suite's node
    and ``NODE_CACHE`` on yours."""
    return options.cache or (str(own_cache) if options.own_node else NODE_CACHE)


def stuck(pod: PodState, waited_s: float, limit_s: float) -> str | None:
    """Why a pod that never started is given up on (a pull that fails, no node with room), or None."""
    if pod.phase == "Pending" and waited_s > limit_s:
        return f"shard {pod.shard}'s pod {pod.name} did not start within {limit_s:.0f} s ({pod.reason or 'Pending'})"
    if pod.reason in ("ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"):
        return f"shard {pod.shard}'s pod {pod.name} cannot get its image: {pod.reason}"
    return None
