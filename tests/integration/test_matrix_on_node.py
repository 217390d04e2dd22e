"""The matrix's shards as one Indexed Job on the suite's node say what the same shards say on this machine.

``make matrix JOBS=2 ARGS="-D engine=kubernetes …"``'s runner (``upgrade_suite.matrix.jobs``): the suite's image
built and imported, the node started, one Job of two indexes, each pod a shard of 1.0.11 .. 1.1.0 on SQLite (three
cells), its reports taken out of the pod and merged as the CI merge job merges them. Beside it, the same range
run whole on this machine: cell for cell, the same key, verdict and first problem (the key names the releases as
installed and the suite's code, so a pod that ran other code or other releases would differ). Afterwards nothing of
the node is left running. Measured 2026-12-07 on 2 cores: 12 cells of 1.0.10 .. 1.1.0 in 166 s of shards.
"""

import json
import subprocess
import sys

import pytest
from test_matrix_shards import RANGE, essentials

from upgrade_suite.cluster import host
from upgrade_suite.cluster.build import bin_dir
from upgrade_suite.cluster.configs import BRIDGE
from upgrade_suite.matrix.results import load

from conftest import ROOT, background, prepare_workdir, results_of, run_behave

pytestmark = [pytest.mark.integration, pytest.mark.extended]


@pytest.mark.timeout(2400)  # the image and the node on a fresh machine, then two shards and a whole run
def test_the_matrix_as_an_indexed_job_on_the_node_gives_the_local_runs_matrix(workdir, docker_client, no_leftovers):
    subprocess.run(["sh", str(ROOT / "tools" / "cluster-host.sh")], check=True)
    on_node = prepare_workdir(workdir / "on-node")
    command = [sys.executable, "-m", "upgrade_suite.matrix.jobs", "2", "-D", "engine=kubernetes", *RANGE]
    job = background(command, on_node, on_node / "jobs-output.txt")
    try:
        job.wait(timeout=1800)
    finally:
        if job.poll() is None:
            job.terminate()  # the runner deletes the Job and stops the node, as on Ctrl-C
            job.wait(timeout=300)
    output = (on_node / "jobs-output.txt").read_text()
    assert job.returncode == 0, output
    assert "matrix: Job upgrade-matrix-" in output and "matrix.html shows what matrix.json holds" in output

    whole = run_behave(workdir, str(ROOT / "features" / "matrix.feature"), "--tags=@matrix", *RANGE)
    assert whole.returncode == 0, whole.failures()
    shards = [on_node / "reports" / "matrix-shards" / f"{i}-of-2" for i in (1, 2)]
    assert all(load([d / "matrix-results"]) for d in shards), "each pod judged cells of its own"
    published = json.loads((on_node / "reports" / "matrix.json").read_text())
    assert essentials(published) == essentials(json.loads((whole.reports / "matrix.json").read_text()))
    assert len(list(results_of(on_node / "reports").glob("*-result.json"))) == 3, "the pods' Allure results"
    left = [line for line in host.leftovers(workdir, bin_dir(), BRIDGE) if "process" in line or BRIDGE in line]
    assert left == []
