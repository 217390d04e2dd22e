"""make bench leaves no bare gateway running when a measurement fails half-way."""

import subprocess

import pytest

from benchmarks import floors


def test_a_failed_measurement_stops_the_bare_gateways_it_started():
    process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    floors._RUNNING.append(process)  # as bare_start registers a gateway
    with pytest.raises(RuntimeError), floors.bare_gateways():
        raise RuntimeError("a read answered 404")
    assert process.poll() is not None and not floors._RUNNING
