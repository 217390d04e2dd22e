"""The transformations a release makes to existing data on purpose, declared once and shown in reports.

Each declaration says which field may move, how (a named rule), why, and from which release on
it happens. It applies to an upgrade ``old -> new`` only when ``old < introduced_in <= new``, so an
upgrade between two later releases is judged without it, and any other change still fails.
Measured on RC1 -> GA (SQLite): the migration widens built-in roles; GA's first start gives
unowned objects to the admin's personal team and marks them as migrated.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from .snapshots import Expectation

_OWNED = ("tools", "resources", "prompts", "servers", "gateways")


@dataclass(frozen=True)
class Declared:
    """An expectation and the release that introduced it."""

    introduced_in: str
    expectation: Expectation


DECLARED: tuple[Declared, ...] = (
    Declared("1.0.0", Expectation("sql", ("roles",), "permissions", "gains items (keeps all old ones)", "GA's migration grants built-in roles new permissions")),
    Declared("1.0.0", Expectation("sql", ("roles",), "updated_at", "moves forward in time", "GA's migration touches the built-in roles it widens")),
    Declared("1.0.0", Expectation("sql", _OWNED, "team_id", "set from null", "GA's start assigns unowned objects to the admin's personal team")),
    Declared("1.0.0", Expectation("api", ("tools", "resources", "prompts", "servers", "gateways"), "teamId", "set from null", "GA's start assigns unowned objects to the admin's personal team")),
    Declared("1.0.0", Expectation("sql", _OWNED, "federation_source", "set from null", "GA's start marks the objects it re-owned as 'mcpgateway-0.7.0-migration'")),
    Declared("1.0.0", Expectation("sql", _OWNED, "updated_at", "moves forward in time", "GA's start updates the objects it re-owns")),
    # Not an upgrade effect: every running gateway health-checks its federated peers.
    Declared("0", Expectation("sql", ("gateways",), "last_seen", "moves forward in time", "a running gateway health-checks federated gateways")),
)


def expected_transformations(old_version: str, new_version: str) -> list[Expectation]:
    """The declared transformations an upgrade from ``old_version`` to ``new_version`` may show."""
    old, new = Version(old_version), Version(new_version)
    return [d.expectation for d in DECLARED if Version(d.introduced_in) <= new and (old < Version(d.introduced_in) or d.introduced_in == "0")]
