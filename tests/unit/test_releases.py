"""Release resolution: PyPI versions, wheels, source trees, cache keys and clear errors."""

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import resolve
from upgrade_suite.releases.venvs import writable_cache


class FakeIndex(PyPIReleases):
    """PyPI's upload times and Requires-Python without the network (the real index is used by the integration tests)."""

    def __init__(self) -> None:
        self.__dict__["upload_times"] = {
            "0.9.0": datetime(2025, 12, 16, 19, 56, 10, tzinfo=timezone.utc),
            "1.0.0rc1": datetime(2026, 2, 18, 20, 23, 9, tzinfo=timezone.utc),
            "1.0.0": datetime(2026, 5, 19, 21, 24, 29, tzinfo=timezone.utc),
        }
        self.__dict__["requires_python"] = {version: "<3.14,>=3.11" for version in self.__dict__["upload_times"]}


def make_wheel(path: Path, payload: bytes = b"", requires_python: str = "<3.14,>=3.11") -> Path:
    """A minimal wheel: METADATA with Requires-Python, plus a payload so two wheels can differ."""
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(
            "mcp_contextforge_gateway-1.0.0.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: x\nRequires-Python: {requires_python}\n\n",
        )
        wheel.writestr("mcpgateway/payload.bin", payload)
    return path


def test_pypi_version_resolves_as_of_the_day_after_upload():
    spec = resolve("GA", "1.0.0", FakeIndex())
    assert (spec.kind, spec.requirement, spec.resolved_at) == (
        "pypi",
        "mcp-contextforge-gateway==1.0.0",
        "2026-05-20T00:00:00Z",
    )
    assert resolve("RC1", "1.0.0rc1", FakeIndex()).resolved_at == "2026-02-19T00:00:00Z"
    assert resolve("0.9.x", "0.9.0", FakeIndex()).resolved_at == "2025-12-17T00:00:00Z"


def test_unknown_version_is_one_clear_line():
    with pytest.raises(SuiteError) as error:
        resolve("GA", "9.9.9", FakeIndex())
    assert str(error.value).startswith("GA=9.9.9 is not a release of mcp-contextforge-gateway on PyPI")
    assert "\n" not in str(error.value)


def test_wheels_sharing_a_version_get_different_venvs(tmp_path: Path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, content in ((first, b"one"), (second, b"two")):
        folder.mkdir()
        make_wheel(folder / "mcp_contextforge_gateway-1.0.0+local-py3-none-any.whl", content)
    a = resolve("GA", str(next(first.iterdir())), FakeIndex())
    b = resolve("GA", str(next(second.iterdir())), FakeIndex())
    assert a.version == b.version == "1.0.0+local"
    assert a.resolved_at == "2026-05-20T00:00:00Z"  # the base version's day
    assert a.key != b.key


def test_source_tree_is_keyed_by_content(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mcp-contextforge-gateway"\nversion = "1.0.0"\n')
    (tmp_path / "mod.py").write_text("A = 1\n")
    before = resolve("GA", str(tmp_path), FakeIndex())
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "mod.pyc").write_bytes(b"noise")
    assert resolve("GA", str(tmp_path), FakeIndex()).key == before.key
    (tmp_path / "mod.py").write_text("A = 2\n")
    assert resolve("GA", str(tmp_path), FakeIndex()).key != before.key


def test_unreleased_source_tree_needs_a_date(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "mcp_contextforge_gateway"\nversion = "1.2.0.dev0"\n')
    with pytest.raises(SuiteError, match="add -D ga_resolved_at=YYYY-MM-DD"):
        resolve("GA", str(tmp_path), FakeIndex())
    assert (
        resolve("GA", str(tmp_path), FakeIndex(), resolved_at="2026-11-01T00:00:00Z").resolved_at
        == "2026-11-01T00:00:00Z"
    )


def test_missing_wheel_and_tree_without_pyproject(tmp_path: Path):
    with pytest.raises(SuiteError, match="no such wheel file"):
        resolve("GA", str(tmp_path / "missing.whl"), FakeIndex())
    with pytest.raises(SuiteError, match="needs a pyproject.toml"):
        resolve("GA", str(tmp_path), FakeIndex())


def test_offline_uses_the_cached_release_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import httpx

    (tmp_path / "pypi-releases.json").write_text(
        json.dumps({"1.0.0": [{"upload_time_iso_8601": "2026-05-19T21:24:29.711449Z"}]})
    )

    def offline(*args, **kwargs):
        raise httpx.ConnectError("no network")

    monkeypatch.setattr(httpx, "get", offline)
    assert PyPIReleases(tmp_path).resolution_date("1.0.0") == "2026-05-20T00:00:00Z"
    with pytest.raises(SuiteError, match="cannot list mcp-contextforge-gateway releases on PyPI"):
        _ = PyPIReleases(tmp_path / "empty").upload_times


def test_unwritable_cache_is_reported(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SuiteError, match="is not writable"):
        writable_cache(blocker / "cache")


def test_latest_is_the_newest_final_release():
    index = FakeIndex()
    index.upload_times["1.1.0"] = datetime(2026, 10, 20, 12, 0, tzinfo=timezone.utc)
    index.upload_times["1.2.0rc1"] = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    index.upload_times["1.0.10"] = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # a later upload of an older line
    spec = resolve("latest", "latest", index)
    assert (spec.version, spec.requirement, spec.resolved_at) == (
        "1.1.0",
        "mcp-contextforge-gateway==1.1.0",
        "2026-10-21T00:00:00Z",
    )


def test_a_file_or_tree_that_is_not_the_gateway_is_refused_in_one_line(tmp_path: Path):
    junk = tmp_path / "junk.whl"
    junk.write_text("junk\n")
    with pytest.raises(SuiteError, match="is not a wheel of mcp-contextforge-gateway"):
        resolve("GA", str(junk), FakeIndex())
    named = tmp_path / "mcp_contextforge_gateway-1.0.0-py3-none-any.whl"
    named.write_text("not a zip\n")
    with pytest.raises(SuiteError, match="is not a wheel \\(not a zip archive\\)"):
        resolve("GA", str(named), FakeIndex())
    text = tmp_path / "notes.txt"
    text.write_text("x\n")
    with pytest.raises(SuiteError, match="is a file but not a wheel"):
        resolve("GA", str(text), FakeIndex())
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "something-else"\nversion = "1.0"\n')
    with pytest.raises(SuiteError, match="is not a source tree of mcp-contextforge-gateway .*'something-else'"):
        resolve("GA", str(tmp_path), FakeIndex())
    (tmp_path / "pyproject.toml").write_text("[project\n")
    with pytest.raises(SuiteError, match="is not valid TOML"):
        resolve("GA", str(tmp_path), FakeIndex())
