"""A cached venv is reused only where it was built: a moved or copied cache is rebuilt, not run.

CI once failed every gateway start with "No such file or directory: .../bin/mcpgateway" because its
cache held venvs copied from another cache directory: the program existed, the interpreter its
first line names did not.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from uv import find_uv_bin

from upgrade_suite.releases.venvs import unusable


def real_venv(where: Path) -> Path:
    """A venv made by uv with one console script, the way a release's venv is made."""
    subprocess.run([find_uv_bin(), "venv", "--quiet", "--python", sys.executable, str(where)], check=True)
    script = where / "bin" / "mcpgateway"
    script.write_text(f"#!{where / 'bin' / 'python'}\nprint('ok')\n")
    script.chmod(0o755)
    return where


def test_a_venv_where_it_was_built_is_usable(tmp_path: Path):
    venv = real_venv(tmp_path / "releases" / "1.0.0-key")
    assert unusable(venv) is None
    assert subprocess.run([venv / "bin" / "mcpgateway"], capture_output=True, text=True).stdout == "ok\n"


def test_a_venv_moved_from_another_cache_is_named_with_the_interpreter_its_scripts_run(tmp_path: Path):
    built = real_venv(tmp_path / "cache-elsewhere" / "1.0.0-key")
    moved = tmp_path / "releases" / "1.0.0-key"
    moved.parent.mkdir()
    shutil.move(built, moved)
    reason = unusable(moved)
    assert reason is not None
    assert reason.startswith("was built elsewhere: ")
    assert str(built / "bin" / "python") in reason


def test_the_sh_trampoline_of_a_long_path_is_read_too(tmp_path: Path):
    venv = real_venv(tmp_path / "releases" / "1.0.0-key")
    elsewhere = "/tmp/" + "x" * 130 + "/bin/python"
    (venv / "bin" / "alembic").write_text(f"#!/bin/sh\n'''exec' \"{elsewhere}\" \"$0\" \"$@\"\n' '''\n")
    assert unusable(venv) == f"was built elsewhere: alembic runs {elsewhere}"


def test_a_venv_whose_base_interpreter_is_gone_is_unusable(tmp_path: Path):
    venv = real_venv(tmp_path / "releases" / "1.0.0-key")
    python = venv / "bin" / "python"
    python.unlink()
    python.symlink_to(tmp_path / "gone" / "python3.13")
    reason = unusable(venv)
    assert reason is not None and reason.startswith("has lost its interpreter")
