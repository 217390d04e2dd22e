"""make bench leaves no bare gateway running when a measurement fails half-way."""

import subprocess

import pytest

from benchmarks import bench


def test_a_failed_measurement_stops_the_bare_gateways_it_started():
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    bench._RUNNING.append(process)  # as bare_start registers a gateway
    with pytest.raises(RuntimeError), bench.bare_gateways():
        raise RuntimeError("a read answered 404")
    assert process.poll() is not None and not bench._RUNNING
