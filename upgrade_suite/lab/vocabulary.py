"""The typed words of the Gherkin: release aliases, databases and upgrade procedures.

One wording per meaning; a word outside these lists is an undefined step, not a silent default.
"""

from __future__ import annotations

import re

from parse_type import TypeBuilder

from upgrade_suite.base.config import DEFAULT_RELEASES, VERSION_WORD
from upgrade_suite.client.prober import READS, READS_AND_WRITES

#: How the database reaches the new release's schema: the plan's explicit Alembic run before the
#: new release starts, or the new release migrating the old database by itself on start.
PROCEDURES = {
    "with Alembic before starting it": True,
    "by starting it on the old database": False,
}

#: How a rollback takes the database back: the newer release's Alembic downgrade to the older
#: release's head, or the pre-upgrade backup restored (the last resort).
ROLLBACKS = {
    "with Alembic downgrade": False,
    "by restoring the pre-upgrade backup": True,
}

#: How a set of replicas is replaced (UPG-06): one at a time, or all stopped before any starts.
STRATEGIES = {"rolling update": "rolling", "recreate": "recreate"}

#: Where an upgrade is killed (UPG-07): as a revision starts (between revisions), or inside it,
#: right after its first statement that changes the database ran (the revision half applied).
INTERRUPT_POINTS = {"at the start of": "start", "inside": "inside"}

#: What the prober sends through the balancer (UPG-06): reads only, or reads and writes.
TRAFFIC = {"read traffic": READS, "read and write traffic": READS_AND_WRITES}

#: How the Helm release goes back: the upgrade guide's ``helm rollback`` alone, or the new release's downgrade first.
CHART_ROLLBACKS = {"with helm rollback alone": False, "after a downgrade Job": True}

#: What happened to objects created on the newer release once the older one serves again.
FATES = {"kept": True, "lost": False}

DATABASE_WORDS = {"SQLite": "sqlite", "PostgreSQL": "postgresql"}


def _release(text: str) -> str:
    return text


#: A release as the Gherkin names it: one of the suite's aliases, or a PyPI version the matrix added (1.0.10).
_release.pattern = (  # type: ignore[attr-defined]
    "|".join(re.escape(alias) for alias in DEFAULT_RELEASES) + "|" + VERSION_WORD
)

PARAMETER_TYPES = {
    "Release": _release,
    "Database": TypeBuilder.make_enum(DATABASE_WORDS),
    "Procedure": TypeBuilder.make_enum(PROCEDURES),
    "Rollback": TypeBuilder.make_enum(ROLLBACKS),
    "Fate": TypeBuilder.make_enum(FATES),
    "ChartRollback": TypeBuilder.make_enum(CHART_ROLLBACKS),
    "Strategy": TypeBuilder.make_enum(STRATEGIES),
    "Traffic": TypeBuilder.make_enum(TRAFFIC),
    "InterruptPoint": TypeBuilder.make_enum(INTERRUPT_POINTS),
}
