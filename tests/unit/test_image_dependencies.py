"""An image's Python may be another patch level than the venv's: the dependencies its markers select are added."""

from pathlib import Path

from upgrade_suite.releases.images import marker_dependencies


class Venv:
    def __init__(self, root: Path) -> None:
        self.venv = root


def distribution(site: Path, name: str, *requires: str) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", "Version: 1.0", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


def test_a_requirement_only_the_images_patch_level_needs_is_named_and_extras_are_not(tmp_path: Path):
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    distribution(
        site,
        "redis",
        'async-timeout>=4.0.3; python_full_version < "3.11.3"',
        'hiredis>=3; extra == "hiredis"',
        "packaging",
    )
    distribution(site, "packaging")
    assert marker_dependencies(Venv(tmp_path), "3.11.2") == ["async-timeout>=4.0.3"]
    assert marker_dependencies(Venv(tmp_path), "3.11.7") == []
