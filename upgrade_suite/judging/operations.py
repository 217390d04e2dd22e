"""A user's operation run on the upgraded database and on a fresh install holding the same objects: same outcome?

The triage says a difference *may* change an outcome (a foreign key's ON DELETE on one side only); the operation
proves it, or moves the difference to "no effect here" with the operation as its evidence (the release may delete
the dependants itself first). The outcome is what a user gets (the API's answer) and what is left in the
database afterwards (the rows that referenced the deleted object), in a sentence a release manager reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from upgrade_suite.judging.problems import FindingsVerdict, Problem

#: A problem's kind: the operation ended differently on the upgraded database than on a fresh install.
OUTCOME_DIFFERS = "operation ends differently on the upgraded database"


@dataclass(frozen=True)
class Outcome:
    """What one deletion did: the API's answer, and the rows per table that referenced the object before and after."""

    answer: str  # "deleted" or "refused: HTTP 409 ..."
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)

    @property
    def deleted(self) -> bool:
        return self.answer == "deleted"

    def effect(self) -> dict[str, str]:
        """Per table with referencing rows: whether they were removed, left behind or kept with their object."""
        out = {}
        for table, count in sorted(self.before.items()):
            if count:
                left = self.after.get(table, 0)
                kept = "kept with it" if not self.deleted else ("left behind" if left == count else "removed")
                out[table] = (
                    f"its {count} {table} {kept}" if left in (0, count) else f"{left} of its {count} {table} left"
                )
        return out

    def render(self) -> str:
        effects = ", ".join(self.effect().values())
        if not self.deleted:
            return f"is {self.answer}" + (f" ({effects})" if effects else "")
        return "deletes it" + (f": {effects}" if effects else ", nothing referenced it")


class BothSides(FindingsVerdict):
    """An operation done on the upgraded database and on a fresh install: a finding, in its sentence, when it ended
    differently (an API operation here, a write in SQL in ``row_probes``)."""

    kind = OUTCOME_DIFFERS

    @property
    def subject(self) -> str:
        raise NotImplementedError

    @property
    def same(self) -> bool:
        raise NotImplementedError

    def sentence(self) -> str:
        raise NotImplementedError

    def findings(self) -> list[Problem]:
        return [] if self.same else [Problem(self.kind, (self.subject,), self.sentence())]


@dataclass(frozen=True)
class OperationProbe(BothSides):
    """One operation on both databases (``what``: e.g. "deleting the federated gateway 'x'")."""

    what: str
    target: str  # the release, as reports name it
    upgraded: Outcome
    fresh: Outcome

    @property
    def same(self) -> bool:
        return self.upgraded.answer.split(":")[0] == self.fresh.answer.split(":")[0] and (
            self.upgraded.effect() == self.fresh.effect()
        )

    @property
    def title(self) -> str:
        return f"{self.what[0].upper()}{self.what[1:]} ends as on a fresh {self.target} install"

    def sentence(self) -> str:
        if self.same:
            return (
                f"no difference: {self.what} {self.upgraded.render()} on the upgraded database and on a fresh install"
            )
        return (
            f"on the upgraded database, {self.what} {self.upgraded.render()}; "
            f"a fresh {self.target} install {self.fresh.render()}"
        )

    @property
    def subject(self) -> str:
        return self.what

    def render(self) -> str:
        return "\n".join(
            [
                self.sentence(),
                f"  upgraded database: answer {self.upgraded.answer}; referencing rows before {self.upgraded.before}, "
                f"after {self.upgraded.after}",
                f"  fresh install:     answer {self.fresh.answer}; referencing rows before {self.fresh.before}, "
                f"after {self.fresh.after}",
            ]
        )


@dataclass(frozen=True)
class Probes(FindingsVerdict):
    """Several operations judged together: ok when each ended the same on both databases."""

    title: str
    probes: list[OperationProbe]

    def findings(self) -> list[Problem]:
        return [problem for probe in self.probes for problem in probe.findings()]

    def render(self) -> str:
        return "\n\n".join(probe.render() for probe in self.probes)
