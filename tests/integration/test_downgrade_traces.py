"""The way back names what it leaves: a copy of GA whose downgrade leaves two columns behind, judged for RC1.

The copy is GA's own wheel with one revision's downgrade changed (built inside the test as ``1.0.0+leftover``, so
it is judged as GA): instead of dropping ``token_revocations.last_activity`` it keeps it (nullable: nothing RC1
does changes), and it adds ``token_revocations.left_by_test`` NOT NULL without a default (RC1 revoking a token
inserts a row without it: refused). The rollback scenario must stay GA's known defect and name the second trace
as a new failure that breaks RC1, and the first as having no effect.
"""

import base64
import csv
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, run_behave

pytestmark = [pytest.mark.integration, pytest.mark.extended]

REVISION = "mcpgateway/alembic/versions/aa1b2c3d4e5f_add_token_revocation_idle_timeout_fields.py"
DROPPED = """    if "last_activity" in columns:
        op.drop_column("token_revocations", "last_activity")
"""
LEFT = """    if "last_activity" in columns:  # the test's copy leaves it behind, and adds a column RC1 cannot insert
        with op.batch_alter_table("token_revocations") as batch:
            batch.add_column(sa.Column("left_by_test", sa.String(), nullable=False, server_default="x"))
        with op.batch_alter_table("token_revocations") as batch:
            batch.alter_column("left_by_test", existing_type=sa.String(), server_default=None)
"""


def leftover_wheel(directory: Path) -> Path:
    """GA's wheel from PyPI, its downgrade changed, repacked as ``1.0.0+leftover`` with a true RECORD."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(directory),
            "mcp-contextforge-gateway==1.0.0",
        ],
        check=True,
        timeout=300,
    )
    original = directory / "mcp_contextforge_gateway-1.0.0-py3-none-any.whl"
    info, new_info = "mcp_contextforge_gateway-1.0.0.dist-info/", "mcp_contextforge_gateway-1.0.0+leftover.dist-info/"
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(original) as wheel:
        for name in wheel.namelist():
            files[name.replace(info, new_info)] = wheel.read(name)
    source = files[REVISION].decode()
    assert DROPPED in source, "GA's downgrade of aa1b2c3d4e5f is no longer what this test changes"
    files[REVISION] = source.replace(DROPPED, LEFT).encode()
    metadata = files[new_info + "METADATA"].decode().replace("\nVersion: 1.0.0\n", "\nVersion: 1.0.0+leftover\n", 1)
    files[new_info + "METADATA"] = metadata.encode()
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files.items():
        if name != new_info + "RECORD":
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            writer.writerow([name, f"sha256={digest}", len(data)])
    writer.writerow([new_info + "RECORD", "", ""])
    files[new_info + "RECORD"] = record.getvalue().encode()
    built = directory / "mcp_contextforge_gateway-1.0.0+leftover-py3-none-any.whl"
    with zipfile.ZipFile(built, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return built


def test_a_downgrade_that_leaves_columns_behind_names_each_with_what_it_does_to_the_old_release(
    workdir: Path, no_leftovers
):
    wheel = leftover_wheel(workdir.parent / "wheel")
    run = run_behave(
        workdir,
        str(ROOT / "features" / "rollback.feature"),
        "--tags=@sqlite and not @current",
        "--name",
        "rolls back to RC1 with Alembic downgrade",
        "-D",
        f"ga={wheel}",
        timeout=1500,
        gate=True,
    )
    assert "gate: FAILED" in run.output and "new failure" in run.output, run.failures()
    assert "breaks: column token_revocations.left_by_test: only in the migrated database (VARCHAR NOT NULL)" in (
        run.output
    ), run.failures()
    assert "which the downgraded database refuses: NOT NULL and no default" in run.output, run.failures()
    assert "declare as: breaks | column token_revocations.left_by_test" in run.output, run.failures()
    traces = "\n".join(
        p.read_text() for p in run.results.glob("*-attachment*") if "trace(s) of the upgrade" in p.read_text()
    )
    assert "column token_revocations.last_activity: only in the migrated database" in traces
    assert "a leftover column no model maps, nullable or defaulted: inserts without it succeed" in traces
