"""What may change in existing data, and how a change is told: a changed value, a declared rule that explains it.

A ``Change`` is one value that differs between two snapshots; an ``Expectation`` names a field that
may move and the rule it must follow (``slugified``, ``moves forward in time``), an ``ExpectedLoss``
rows a release deliberately no longer shows. Kept apart from the snapshots so each module reads as one idea.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    """One value that differs between the snapshots, in a field both sides have."""

    group: str
    key: str
    field: str
    before: Any
    after: Any
    reason: str = ""  # set when a declared expectation explains it

    def render(self) -> str:
        why = f"  [expected: {self.reason}]" if self.reason else ""
        return f"{self.group} [{self.key}] {self.field}: {_describe(self.before, self.after)}{why}"


@dataclass(frozen=True)
class Expectation:
    """A change the target release makes on purpose; matched changes are reported, not failed.

    ``rule`` names how the value may move (see ``RULES``); anything else in that field still fails.
    """

    source: str  # "sql" or "api"
    groups: tuple[str, ...]
    field: str
    rule: str
    reason: str

    def explains(self, source: str, change: Change) -> bool:
        return (
            source == self.source
            and change.group in self.groups
            and change.field == self.field
            and RULES[self.rule](change.before, change.after)
        )

    def render(self) -> str:
        return f"{self.source}: {'/'.join(self.groups)}.{self.field} {self.rule} ({self.reason})"


@dataclass(frozen=True)
class ExpectedLoss:
    """Rows a newer release no longer shows on purpose (e.g. other users' private objects to an admin).

    A lost row is explained when every ``where`` field matches and it is not the viewer's own.
    """

    source: str
    groups: tuple[str, ...]
    where: tuple[tuple[str, Any], ...]
    owner_field: str
    reason: str

    def explains(self, source: str, group: str, row: dict[str, Any], viewer: str) -> bool:
        return (
            source == self.source
            and group in self.groups
            and all(row.get(f) == v for f, v in self.where)
            and row.get(self.owner_field) not in (None, viewer)
        )

    def render(self) -> str:
        condition = " and ".join(f"{f} = {v!r}" for f, v in self.where)
        return (
            f"{self.source}: {'/'.join(self.groups)} rows where {condition} and {self.owner_field} is not the "
            f"viewer may disappear ({self.reason})"
        )


def _json_list(value: Any) -> set[str] | None:
    try:
        items = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return None
    return {json.dumps(i, sort_keys=True) for i in items} if isinstance(items, list) else None


def _later(before: Any, after: Any) -> bool:
    """Timestamps compared as text after dropping a UTC suffix (SQLite stores them as text)."""
    if not isinstance(before, str) or not isinstance(after, str):
        return False
    return after.replace("+00:00", "").replace("T", " ") >= before.replace("+00:00", "").replace("T", " ")


def _superset(before: Any, after: Any) -> bool:
    old, new = _json_list(before), _json_list(after)
    return old is not None and new is not None and old <= new


def _slugified(before: Any, after: Any) -> bool:
    """``probe_prompt_1`` -> ``probe-prompt-1``: lower case, runs of other characters become one dash."""
    return isinstance(before, str) and after == re.sub(r"[^a-z0-9]+", "-", before.lower()).strip("-")


def _prefixed(before: Any, after: Any) -> bool:
    """``bulk-resource-1`` -> ``bulk-gateway-0-bulk-resource-1``: the old value kept whole at the end."""
    return isinstance(before, str) and isinstance(after, str) and after != before and after.endswith(before)


#: How a declared transformation may move a value.
RULES: dict[str, Any] = {
    "slugified": _slugified,
    "gains a prefix (keeps the old value at its end)": _prefixed,
    "set from null": lambda before, after: before is None and after is not None,
    "moves forward in time": _later,
    "gains items (keeps all old ones)": _superset,
}


def _describe(before: Any, after: Any) -> str:
    """``old -> new``; for two JSON lists, the items removed and added (long lists differ in one item)."""
    old, new = _json_list(before), _json_list(after)
    if old is not None and new is not None and old != new:
        removed, added = sorted(old - new), sorted(new - old)
        return (
            f"list lost {_short([json.loads(i) for i in removed], 200)}, gained "
            f"{_short([json.loads(i) for i in added], 200)}"
        )
    return f"{_short(before)} -> {_short(after)}"


def _short(value: Any, limit: int = 80) -> str:
    text_ = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text_ if len(text_) <= limit else text_[: limit - 3] + "..."
