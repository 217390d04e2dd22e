"""The triage's vocabulary: the classes of consequence, a consequence, the two sides a rule reads, and how a
schema key and a column's description are read (``triage`` and ``column_rules`` speak it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.schema import MIGRATED_ONLY

BREAKS, BEHAVES, SLOWER, NO_EFFECT = "breaks", "behaves differently", "slower", "no effect here"
#: Worst first: a line with several consequences takes the worst.
CLASSES = (BREAKS, BEHAVES, SLOWER, NO_EFFECT)

_KEY = re.compile(r"^(table|column|primary key|index|unique|foreign key) ([^(.]+)(?:\.(.+)|\((.*)\))?$")
_COLUMN = re.compile(r"^(?P<type>.+?)(?P<not_null> NOT NULL)?(?: DEFAULT (?P<default>.*))?$")


@dataclass(frozen=True)
class Consequence:
    """One schema difference, its class, the rule that put it there and what it means, in a sentence."""

    difference: Problem
    klass: str
    rule: str
    says: str


@dataclass(frozen=True)
class Sides:
    """What a rule may read: both schemas (key -> description), the engine, the target release's models."""

    migrated: dict[str, str]
    fresh: dict[str, str]
    engine: str
    model: ModelFacts | None = None
    #: Rows of the upgraded database holding NULL, per ``table.column`` that only it lets be NULL (``null_questions``):
    #: a probe of its data, asked by the lab.
    nulls: dict[str, int] = field(default_factory=dict)

    def side(self, name: str) -> dict[str, str]:
        return self.migrated if name == "migrated" else self.fresh

    @property
    def foreign_keys_enforced(self) -> bool:
        """PostgreSQL always; SQLite only where the release turns them on (unknown: assumed on)."""
        if self.engine != "sqlite" or self.model is None or self.model.sqlite_foreign_keys is None:
            return True
        return self.model.sqlite_foreign_keys


def parse_key(key: str) -> tuple[str, str, str]:
    """``column t.c`` -> (column, t, c); ``index t(a, b)`` -> (index, t, "a, b"); ``table t`` -> (table, t, "")."""
    match = _KEY.match(key)
    if not match:
        return ("", "", "")
    return match.group(1), match.group(2).strip(), match.group(3) or match.group(4) or ""


def where(difference: Problem) -> tuple[str, str]:
    """(the side it exists on, the side it is missing from) for a one-sided difference."""
    return ("migrated", "fresh") if difference.kind == MIGRATED_ONLY else ("fresh", "migrated")


NAMES = {"migrated": "the upgraded database", "fresh": "a fresh install"}


def read_column(description: str) -> dict[str, str]:
    match = _COLUMN.match(description)
    assert match is not None  # the pattern matches any text
    return {"type": match["type"], "not_null": match["not_null"] or "", "default": literal(match["default"] or "")}


def literal(default: str) -> str:
    """One spelling per default value: ``'0'`` and ``0``, ``now()`` and ``CURRENT_TIMESTAMP``, ``true`` and ``1``
    store the same value (SQLite's numeric affinity, PostgreSQL's casts)."""
    text = default.strip()
    if re.fullmatch(r"'-?\d+(\.\d+)?'", text):
        text = text[1:-1]
    return {"true": "1", "false": "0", "'t'": "1", "'f'": "0", "now()": "CURRENT_TIMESTAMP"}.get(text.lower(), text)
