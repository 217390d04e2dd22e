"""The matrix as an Indexed Job: its options out of ARGS, the Job it applies, its pods read, their reports taken."""

import io
import json
import subprocess
import time
from pathlib import Path

import pytest
from rich.console import Console

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.matrix import indexed_job, on_cluster
from upgrade_suite.matrix.indexed_job import COLLECTED, SCRIPT, STATUS, ClusterOptions, manifest, pods, split, stuck
from upgrade_suite.matrix.results import log, shard_dir


def test_the_cluster_options_leave_arguments_and_the_rest_go_to_the_shards():
    options, rest = split(["-D", "engine=kubernetes", "-Dmatrix_from=1.0.9", "--tags=@sqlite", "-D", "x=1"])
    assert options == ClusterOptions()
    assert rest == ["-Dmatrix_from=1.0.9", "--tags=@sqlite", "-D", "x=1"]
    options, rest = split(["-D", "engine=kubernetes", "-D", "kube_context=prod", "-Dsuite_image=r/s:1", "-D", "a=b"])
    assert options == ClusterOptions("prod", "r/s:1") and not options.own_node
    assert rest == ["-D", "a=b"]
    assert split(["-D", "matrix_from=1.0.9"]) == (None, ["-D", "matrix_from=1.0.9"])


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["-D", "engine=docker"], "-D engine=docker is not where make matrix runs"),
        (["-D", "engine=kubernetes", "-D", "kube_context=prod"], "-D kube_context=prod needs -D suite_image="),
        (["-D", "suite_image=r/s:1"], "go with -D engine=kubernetes"),
    ],
)
def test_a_wrong_combination_stops_in_one_line(arguments, line):
    with pytest.raises(SuiteError, match=line.replace("(", r"\(")):
        split(arguments)


def test_the_cache_is_this_machines_on_the_own_node_and_a_node_path_on_yours(tmp_path):
    assert indexed_job.cache_path(ClusterOptions(), tmp_path) == str(tmp_path)
    assert indexed_job.cache_path(ClusterOptions("prod", "r/s:1"), tmp_path) == indexed_job.NODE_CACHE
    given, _ = split(["-D", "engine=kubernetes", "-D", "cache_dir=/srv/c"])
    assert indexed_job.cache_path(given, tmp_path) == "/srv/c"


def test_the_job_runs_each_index_once_as_one_shard_with_the_users_options():
    job = manifest("m", "r/s:1", 3, ["-D", "matrix_from=1.0.9"], "/c", "Never")
    spec = job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", 3, 3)
    assert spec["backoffLimitPerIndex"] == 0 and spec["template"]["spec"]["restartPolicy"] == "Never"
    container = spec["template"]["spec"]["containers"][0]
    assert container["command"] == ["sh", "-c", SCRIPT, "shard", "-D", "matrix_from=1.0.9"]
    assert {"name": "SHARDS", "value": "3"} in container["env"]
    assert {"name": "cache", "mountPath": "/c"} in container["volumeMounts"]
    cache = next(v for v in spec["template"]["spec"]["volumes"] if v["name"] == "cache")
    assert cache["hostPath"]["path"] == "/c"


def _script(tmp_path: Path, behave: str) -> tuple[list[str], dict[str, str]]:
    """The shard's script with its pod paths under ``tmp_path`` and ``behave`` as the fake behave's body."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "behave").write_text(f"#!/bin/sh\n{behave}\n")
    (fake / "behave").chmod(0o755)
    (tmp_path / "reports").mkdir()
    (tmp_path / "signals").mkdir()
    script = SCRIPT.replace(indexed_job.REPORTS, str(tmp_path / "reports")).replace(
        indexed_job.SIGNALS, str(tmp_path / "signals")
    )
    environment = {"PATH": f"{fake}:/usr/bin:/bin", "JOB_COMPLETION_INDEX": "1", "SHARDS": "2"}
    return ["sh", "-c", script, "shard", "-D", "a=b"], environment


def test_the_shard_script_runs_its_index_plus_one_and_ends_with_behaves_status_once_collected(tmp_path):
    command, environment = _script(tmp_path, f'echo "$@" > {tmp_path}/args; echo judged; exit 3')
    (tmp_path / "signals" / "collected").touch()  # the runner has taken the reports
    assert subprocess.run(command, env=environment, timeout=30).returncode == 3
    assert (tmp_path / "args").read_text().split() == [
        "features/matrix.feature",
        "--tags=@matrix",
        "-D",
        "a=b",
        "-D",
        "shard=2/2",
        "-D",
        f"reports_dir={tmp_path}/reports",
    ]
    assert (tmp_path / "reports" / "behave-output.txt").read_text() == "judged\n"
    assert (tmp_path / "signals" / "exit-status").read_text() == "3\n"


def test_a_sigterm_to_the_shard_reaches_behave_and_ends_the_pod_at_once(tmp_path):
    """The Job deleted: the shell (the pod's first process) passes SIGTERM on and ends, not at the SIGKILL."""
    command, environment = _script(
        tmp_path, f"trap 'kill $!; touch {tmp_path}/terminated; exit 130' TERM; sleep 60 >/dev/null 2>&1 & wait"
    )
    shard = subprocess.Popen(command, env=environment)
    pid_file = tmp_path / "signals" / "behave.pid"
    deadline = time.monotonic() + 10
    while not pid_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # behave's trap is set once it runs
    shard.terminate()
    assert shard.wait(timeout=10) == 143
    assert (tmp_path / "terminated").is_file()


def _pod(name, index, phase, state=None):
    return {
        "metadata": {"name": name, "annotations": {indexed_job.INDEX_ANNOTATION: str(index)}},
        "status": {"phase": phase, "containerStatuses": [{"state": state or {}}]},
    }


def test_pods_are_read_in_shard_order_with_why_they_wait_or_ended():
    listing = json.dumps(
        {
            "items": [
                _pod("b", 1, "Failed", {"terminated": {"reason": "OOMKilled", "exitCode": 137}}),
                _pod("a", 0, "Pending", {"waiting": {"reason": "ErrImageNeverPull"}}),
            ]
        }
    )
    first, second = pods(listing)
    assert (first.shard, first.reason, first.ended) == (1, "ErrImageNeverPull", False)
    assert (second.shard, second.reason, second.exit_code, second.ended) == (2, "OOMKilled", 137, True)
    assert "cannot get its image: ErrImageNeverPull" in (stuck(first, 1.0, 900.0) or "")
    (pending,) = pods(json.dumps({"items": [_pod("c", 0, "Pending")]}))
    assert stuck(pending, 10.0, 900.0) is None
    assert "did not start within 900 s" in (stuck(pending, 901.0, 900.0) or "")


class FakeCluster:
    """kubectl of a Job of two pods: shard 1 finishes with status 1 on the second look, shard 2's pod is killed."""

    def __init__(self, tmp_path: Path) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.looks = 0
        self.tmp_path = tmp_path

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 60.0) -> str:
        self.calls.append(args)
        if args[:2] == ("get", "pods"):
            self.looks += 1
            killed = {"terminated": {"reason": "Error", "exitCode": 137}}
            return json.dumps({"items": [_pod("p0", 0, "Running"), _pod("p1", 1, "Failed", killed)]})
        if args[0] == "exec" and args[-1] == STATUS:
            if self.looks < 2:
                raise SuiteError("cat: no such file")
            return "1\n"
        if args[0] == "cp":
            destination = Path(args[-1])
            destination.mkdir(parents=True)
            (destination / "matrix.json").write_text("{}")
            return ""
        if args[0] == "logs":
            return "Traceback: the shard's last words"
        return ""


def test_the_collector_takes_each_finished_shards_reports_then_lets_it_end_and_keeps_a_lost_pods_log(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(on_cluster, "POLL_S", 0.0)
    cluster = FakeCluster(tmp_path)
    ended = on_cluster.Collector(cluster, "m", 2, tmp_path, Console(file=io.StringIO())).wait()
    assert ended == {shard_dir(tmp_path, 1, 2): 1, shard_dir(tmp_path, 2, 2): 137}
    assert (shard_dir(tmp_path, 1, 2) / "matrix.json").is_file()
    taken = cluster.calls.index(("cp", "-c", "shard", f"p0:{indexed_job.REPORTS}", str(shard_dir(tmp_path, 1, 2))))
    assert cluster.calls[taken + 1] == ("exec", "p0", "-c", "shard", "--", "touch", COLLECTED)
    lost = log(shard_dir(tmp_path, 2, 2)).read_text()
    assert "the shard's last words" in lost and "ended before its reports were taken: Error, exit 137" in lost
