"""Declared transformations: a local build of a release gets exactly that release's, as old or new."""

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.expectations import expected_transformations
from upgrade_suite.releases.specs import public_version


def test_public_version_drops_only_the_local_label():
    assert public_version("1.0.0+local") == "1.0.0"
    assert public_version("1.0.0rc1+build.7") == "1.0.0rc1"
    assert public_version("1.0.7.post20260921") == "1.0.7.post20260921"
    with pytest.raises(SuiteError, match="not a PEP 440 version"):
        public_version("main-branch")


@pytest.mark.parametrize(
    ("old", "new", "old_local", "new_local"),
    [
        ("1.0.0rc1", "1.0.0", "1.0.0rc1", "1.0.0+local"),  # the build as the new release
        ("1.0.0", "1.0.1", "1.0.0+local", "1.0.1"),  # the build as the old release
        ("0.9.0", "1.0.0", "0.9.0+a", "1.0.0+b"),  # both ends local
        ("1.0.0", "1.0.0", "1.0.0", "1.0.0+local"),  # GA to its own rebuild: only runtime ones
    ],
)
def test_a_local_build_gets_its_base_release_transformations(old, new, old_local, new_local):
    assert expected_transformations(old_local, new_local) == expected_transformations(old, new)


def test_rc1_to_a_ga_build_keeps_ga_upgrade_transformations():
    rules = {(e.field, e.rule) for e in expected_transformations("1.0.0rc1", "1.0.0+local") if hasattr(e, "rule")}
    assert ("permissions", "gains items (keeps all old ones)") in rules
