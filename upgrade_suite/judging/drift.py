"""A schema diff judged by its consequences against what a person accepted for the release pair.

What is red is what users can meet: a difference the triage puts under "breaks" or "behaves differently" (a
claim until an operation proves otherwise) that the pair's baseline does not accept. "Slower" and "no effect
here" are counted and listed in the evidence, never red on their own: a release manager cannot sign 420 lines,
and a VARCHAR length on SQLite is not a decision. A baseline entry that no longer occurs is red too (the file
must stay true); one whose difference now has no effect is reported so it can be dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from upgrade_suite.judging.problems import FindingsVerdict, Problem
from upgrade_suite.judging.schema import DRIFT_GONE, Baseline, DriftEntry, SchemaDiff, read_baseline
from upgrade_suite.judging.triage import BEHAVES, BREAKS, CLASSES, Consequence, Triage, triage

#: The classes a baseline must accept line by line, or the check is red.
JUDGED = (BREAKS, BEHAVES)


@dataclass
class DriftVerdict(FindingsVerdict):
    """A triaged schema diff against the pair's accepted lines (``declared`` is None: the pair has no baseline)."""

    diff: SchemaDiff
    baseline: Baseline
    declared: list[DriftEntry] | None
    consequences: Triage

    def _judged(self) -> list[Consequence]:
        return [c for c in self.consequences.consequences if c.klass in JUDGED]

    @property
    def known(self) -> list[DriftEntry]:
        actual = set(self.diff.lines)
        return [entry for entry in self.declared or [] if entry.line in actual]

    @property
    def new(self) -> list[Consequence]:
        declared = {entry.line for entry in self.declared or []}
        return [c for c in self._judged() if c.difference.text not in declared]

    @property
    def gone(self) -> list[DriftEntry]:
        actual = set(self.diff.lines)
        return [entry for entry in self.declared or [] if entry.line not in actual]

    @property
    def needless(self) -> list[DriftEntry]:
        """Accepted lines that occur but no longer matter (slower or no effect): the baseline can drop them."""
        judged = {c.difference.text for c in self._judged()}
        return [entry for entry in self.known if entry.line not in judged]

    def findings(self) -> list[Problem]:
        """Each unaccepted consequence (its class as the kind, its schema object as the key, the sentence as text),
        then each accepted line no longer seen."""
        return [Problem(c.klass, c.difference.keys, f"{c.klass}: {c.difference.text} ({c.says})") for c in self.new] + [
            Problem(DRIFT_GONE, (entry.line,), f"gone: {entry.line}") for entry in self.gone
        ]

    @property
    def title(self) -> str:
        """The headline: what the differences do, what the pair's baseline accepts, and what is left red."""
        base = self.baseline
        why = f" ({base.why})" if base.why else ""
        if not self.diff.lines:
            return f"Schema of {base.pair}{why}: the upgraded schema matches a fresh install"
        counts = f"{len(self.diff.lines)} difference(s): {self.consequences.counts()}"
        if self.declared is None:
            left = f"{len(self.new)} to judge" if self.new else "none breaks or behaves differently"
            record = f"; after probing each, accept it with `{base.record_command}`" if self.new else ""
            return f"Schema of {base.pair}{why}: {counts}; no baseline accepts any ({left}){record}"
        stale = f" (drop those entries, or re-record with `{base.record_command}`)" if self.gone else ""
        return (
            f"Schema of {base.pair}{why}, against {base.path.name}: {counts}; {len(self.known)} accepted, "
            f"{len(self.new)} not accepted, {len(self.gone)} accepted but no longer seen{stale}"
        )

    def render(self) -> str:
        out = [self.title]
        out += [f"  NOT ACCEPTED  {problem.text}" for problem in self.findings()]
        out += [f"  accepted  {entry.render()}" for entry in self.known]
        out += [f"  accepted, now {self._class_of(entry.line)}  {entry.line}" for entry in self.needless]
        out += [f"  {klass}: {len(self.consequences.of(klass))}" for klass in CLASSES if klass not in JUDGED]
        return "\n".join(out)

    def _class_of(self, line: str) -> str:
        return next(c.klass for c in self.consequences.consequences if c.difference.text == line)


@dataclass
class Traces(FindingsVerdict):
    """What a downgrade left in the schema or took from it, judged by what each trace does to the old release: red
    for what breaks it or makes it behave differently; the rest counted (a leftover nullable column changes
    nothing until the next upgrade meets it)."""

    release: str  # the old release, as reports name it
    consequences: Triage

    @property
    def title(self) -> str:
        found = self.consequences.consequences
        if not found:
            return f"{self.release} finds its schema exactly as before the upgrade"
        return (
            f"{self.release} finds {len(found)} trace(s) of the upgrade and downgrade in its schema: "
            f"{self.consequences.counts()}"
        )

    def findings(self) -> list[Problem]:
        return [_finding(c) for c in self.consequences.consequences if c.klass in JUDGED]

    def render(self) -> str:
        return "\n".join([self.title, *self.consequences.render().splitlines()[1:]])


def _finding(consequence: Consequence) -> Problem:
    """A consequence as a check reports it: its class as the kind, its schema object as the key."""
    text = f"{consequence.klass}: {consequence.difference.text} ({consequence.says})"
    return Problem(consequence.klass, consequence.difference.keys, text)


def judge(diff: SchemaDiff, baseline: Baseline, consequences: Triage | None = None) -> DriftVerdict:
    """Judge ``diff`` by its consequences (triaged on the baseline's engine without the release's models when
    none are given) against the pair's baseline file, if it has one."""
    declared = read_baseline(baseline.path) if baseline.path.exists() else None
    return DriftVerdict(diff, baseline, declared, consequences or triage(diff, baseline.engine))
