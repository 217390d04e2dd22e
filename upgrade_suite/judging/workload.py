"""The workload's answers on the upgraded database against a fresh install's: every difference is a finding.

Both sides ran the same release and the same requests (``client/workload.py``), so an answer or a leftover
object that differs is what the upgrade left in the database, said in a sentence a release manager reads:
"create a second tool of the same name in the same team: 409 on the upgraded database, 201 on a fresh install".
"""

from __future__ import annotations

from dataclasses import dataclass

from upgrade_suite.client.asking import Observation
from upgrade_suite.judging.operations import OUTCOME_DIFFERS
from upgrade_suite.judging.problems import FindingsVerdict, Problem


@dataclass(frozen=True)
class WorkloadComparison(FindingsVerdict):
    """One workload's observations and end state on both databases (``target``: the release, as reports name it)."""

    target: str
    upgraded: list[Observation]
    fresh: list[Observation]
    upgraded_state: dict[str, list[str]]
    fresh_state: dict[str, list[str]]

    @property
    def title(self) -> str:
        return f"The same user operations end as on a fresh {self.target} install"

    def findings(self) -> list[Problem]:
        found = [
            Problem(
                OUTCOME_DIFFERS,
                (mine.operation,),
                f"{mine.operation}: {mine.render()} on the upgraded database, {theirs.render()} on a fresh install",
            )
            for mine, theirs in zip(self.upgraded, self.fresh, strict=True)
            if (mine.answer, mine.detail) != (theirs.answer, theirs.detail)
        ]
        for kind in sorted(set(self.upgraded_state) | set(self.fresh_state)):
            mine, theirs = self.upgraded_state.get(kind, []), self.fresh_state.get(kind, [])
            if mine != theirs:
                found.append(
                    Problem(
                        OUTCOME_DIFFERS,
                        (f"{kind} left afterwards",),
                        f"{kind} left afterwards: {mine or 'none'} on the upgraded database, {theirs or 'none'} on a "
                        "fresh install",
                    )
                )
        return found

    def render(self) -> str:
        verdict = "the same answers and end state on both databases" if self.ok else f"{len(self.findings())} differ"
        head = f"{len(self.upgraded)} operations: {verdict}"
        width = max(len(o.operation) for o in self.upgraded) if self.upgraded else 0
        rows = [f"  {'operation'.ljust(width)}  upgraded | fresh"] + [
            f"  {mine.operation.ljust(width)}  {mine.render()} | {theirs.render()}"
            for mine, theirs in zip(self.upgraded, self.fresh, strict=True)
        ]
        state = [f"  {kind} left: {names}" for kind, names in sorted(self.upgraded_state.items())]
        return "\n".join(
            [head, *(f"  DIFFERS  {p.text}" for p in self.findings()), *rows, "End state (upgraded):", *state]
        )
