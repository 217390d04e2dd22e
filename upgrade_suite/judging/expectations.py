"""The transformations a release makes to existing data on purpose, declared once and shown in reports.

Each declaration says which field may move, how (a named rule), why, and since which release.
Two kinds: an ``upgrade`` transformation is made by the migration to a release, so it applies to
``old -> new`` only when ``old < since <= new``; a ``runtime`` one is made by every start of a
release from ``since`` on, so it applies whenever ``new >= since``. Any other change still fails.
Measured on RC1 -> GA (SQLite, PostgreSQL): GA's migration widens built-in roles; every start of
RC1 or GA gives unowned objects to the admin's personal team and marks them as migrated
("mcpgateway-0.7.0-migration"), so a restored backup shows it too; GA no longer lists other users' private objects to an
admin. On 0.9.0 -> GA: the 1.0 migrations rename prompts to their slug.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from upgrade_suite.judging.transformations import Expectation, ExpectedLoss
from upgrade_suite.releases.specs import public_version

_OWNED = ("tools", "resources", "prompts", "servers", "gateways")


@dataclass(frozen=True)
class Declared:
    """An expectation, whether an upgrade or every start makes it, and since which release."""

    kind: str  # "upgrade" | "runtime"
    since: str
    expectation: Expectation | ExpectedLoss

    def applies(self, old: Version, new: Version) -> bool:
        since = Version(self.since)
        return since <= new and (self.kind == "runtime" or old < since)


DECLARED: tuple[Declared, ...] = (
    Declared(
        "upgrade",
        "1.0.0",
        Expectation(
            "sql",
            ("roles",),
            "permissions",
            "gains items (keeps all old ones)",
            "GA's migration grants built-in roles new permissions",
        ),
    ),
    Declared(
        "upgrade",
        "1.0.0",
        Expectation(
            "sql",
            ("roles",),
            "updated_at",
            "moves forward in time",
            "GA's migration touches the built-in roles it widens",
        ),
    ),
    # Every release from GA on (not only the upgrade to it): measured on populated GA -> 1.1.0 and
    # 1.0.9 -> 1.1.0 (PostgreSQL), where 1.1.0 refuses the admin such a row by id ("Tool access denied").
    Declared(
        "runtime",
        "1.0.0",
        ExpectedLoss(
            "api",
            _OWNED,
            (("visibility", "private"),),
            "ownerEmail",
            "from GA the admin bypass never reveals another user's private rows (upstream PR #4341)",
        ),
    ),
    # Read in the wheels: revision e4f5a6b7c8d9 (first in 1.0.8) grants plugins.read, d8d7939e73e9 and
    # 9935d863930b (first in 1.0.9) tools.preview and metrics:read; measured on GA -> 1.1.0.
    Declared(
        "upgrade",
        "1.0.8",
        Expectation(
            "sql",
            ("roles",),
            "permissions",
            "gains items (keeps all old ones)",
            "1.0.8 and 1.0.9 grant built-in roles plugins.read, tools.preview, metrics:read",
        ),
    ),
    Declared(
        "upgrade",
        "1.0.8",
        Expectation(
            "sql",
            ("roles",),
            "updated_at",
            "moves forward in time",
            "the 1.0.8/1.0.9 migrations touch the built-in roles they widen",
        ),
    ),
    # 1.1.0's head c7e91a2b4d60 ("add persisted resource namespacing") prefixes each federated
    # resource's name with its gateway's slug (the original goes to original_name, a new column);
    # measured on a populated GA -> 1.1.0, where 1.1.0's metrics rollup then rewrites hourly rows too.
    Declared(
        "upgrade",
        "1.1.0",
        Expectation(
            "sql",
            ("resources",),
            "name",
            "gains a prefix (keeps the old value at its end)",
            "1.1.0 namespaces a federated resource's name by its gateway",
        ),
    ),
    Declared(
        "upgrade",
        "1.1.0",
        Expectation(
            "api",
            ("resources",),
            "name",
            "gains a prefix (keeps the old value at its end)",
            "1.1.0 lists a federated resource by its namespaced name",
        ),
    ),
    Declared(
        "upgrade",
        "1.1.0",
        Expectation(
            "sql",
            ("resource_metrics_hourly",),
            "resource_name",
            "gains a prefix (keeps the old value at its end)",
            "1.1.0's metrics rollup names hourly rows by the namespaced resource name",
        ),
    ),
    Declared(
        "upgrade",
        "1.0.0b1",
        Expectation(
            "sql",
            ("prompts",),
            "name",
            "slugified",
            "1.0 keeps a prompt's name as a slug (the original goes to original_name)",
        ),
    ),
    Declared(
        "upgrade",
        "1.0.0b1",
        Expectation("api", ("prompts",), "name", "slugified", "1.0 lists a prompt by its slugged name"),
    ),
    Declared(
        "upgrade",
        "1.0.0b1",
        Expectation("api", ("prompts",), "originalName", "set from null", "1.0 adds originalName (0.9 had none)"),
    ),
    Declared(
        "runtime",
        "0.7.0",
        Expectation(
            "sql",
            _OWNED,
            "team_id",
            "set from null",
            "a gateway start assigns unowned objects to the admin's personal team",
        ),
    ),
    Declared(
        "runtime",
        "0.7.0",
        Expectation(
            "api",
            _OWNED,
            "teamId",
            "set from null",
            "a gateway start assigns unowned objects to the admin's personal team",
        ),
    ),
    Declared(
        "runtime",
        "0.7.0",
        Expectation(
            "sql",
            _OWNED,
            "federation_source",
            "set from null",
            "a gateway start marks the objects it re-owns as 'mcpgateway-0.7.0-migration'",
        ),
    ),
    Declared(
        "runtime",
        "0.7.0",
        Expectation(
            "sql", _OWNED, "updated_at", "moves forward in time", "a gateway start updates the objects it re-owns"
        ),
    ),
    Declared(
        "runtime",
        "0",
        Expectation(
            "sql",
            ("gateways",),
            "last_seen",
            "moves forward in time",
            "a running gateway health-checks federated gateways",
        ),
    ),
)


def expected_transformations(old_version: str, new_version: str) -> list[Expectation | ExpectedLoss]:
    """The declared transformations an upgrade from ``old_version`` to ``new_version`` may show.

    A local build (``1.0.0+local``) makes exactly its base release's transformations, as old or new.
    """
    old, new = Version(public_version(old_version)), Version(public_version(new_version))
    return [d.expectation for d in DECLARED if d.applies(old, new)]
