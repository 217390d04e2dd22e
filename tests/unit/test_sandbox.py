"""Sandboxes and ports: the suite deletes only what it marked, and never uses fixed ports."""

import socket
from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.sandbox import Sandbox, free_port, port_is_listening, remove_owned


def test_sandbox_names_are_unique_and_marked(tmp_path: Path):
    first = Sandbox.create(tmp_path, "RC1 to GA upgrade (SQLite)")
    second = Sandbox.create(tmp_path, "RC1 to GA upgrade (SQLite)")
    assert first.path.name == "rc1-to-ga-upgrade-sqlite" and second.path.name == "rc1-to-ga-upgrade-sqlite-2"
    first.remove()
    assert not first.path.exists() and second.path.exists()


def test_a_directory_without_the_marker_is_never_deleted(tmp_path: Path):
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "data.txt").write_text("keep me")
    with pytest.raises(SuiteError, match="not created by this suite"):
        remove_owned(foreign)
    assert (foreign / "data.txt").exists()


def test_free_port_is_free_and_listening_is_detected():
    port = free_port()
    assert not port_is_listening(port)
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        assert port_is_listening(port)
