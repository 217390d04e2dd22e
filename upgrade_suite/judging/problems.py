"""A check's finding in a structured form, so a declared known defect is matched on what and where, not on prose.

Every evidence object (checklist, snapshot diff, schema diff, drift verdict) reports its problems as
``Problem`` values: a ``kind`` (what went wrong: ``row lost``, ``only in the migrated database``,
``check failed``) and ``keys`` (where: table, row, column, revision, schema object). The rendered
``text`` a reader sees is carried along but takes no part in equality, so rewording a message never
turns a known defect into a "new failure", and a changed detail of the same problem stays known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Between the parts of a problem's signature line (a declaration file holds one a line).
SEPARATOR = " | "


@dataclass(frozen=True)
class Problem:
    """What went wrong (``kind``) and where (``keys``); ``text`` is the reader's line, not compared."""

    kind: str
    keys: tuple[str, ...]
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.text or self.signature

    @property
    def signature(self) -> str:
        """``kind | key | key``: how a declaration names this problem."""
        return SEPARATOR.join((self.kind, *self.keys))

    @classmethod
    def parse(cls, line: str) -> Problem:
        """The problem a signature line names (the inverse of ``signature``)."""
        kind, *keys = line.split(SEPARATOR)
        return cls(kind.strip(), tuple(key.strip() for key in keys))


class FindingsVerdict:
    """A verdict that is its findings: ok when there are none, its problems their texts. A class that says what its
    ``findings`` are gets the rest of ``evidence.Verdict`` from here."""

    def findings(self) -> list[Problem]:
        raise NotImplementedError

    @property
    def ok(self) -> bool:
        return not self.findings()

    def problems(self) -> list[str]:
        return [str(problem) for problem in self.findings()]
