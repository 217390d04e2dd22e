"""Lock holds from sampled rounds: blocking modes only, the old release's tables only, named by the revision."""

from upgrade_suite.scale.locks import PERIOD, LockHold, Round, holds, running
from upgrade_suite.services.migrations import RevisionTime

REVISIONS = [RevisionTime("upgrade", "a1", "b2", 1.0, at=0.5), RevisionTime("upgrade", "b2", "c3", 3.0, at=1.5)]


def look(at: float, *held: tuple[str, str]) -> Round:
    return Round(100.0 + at, frozenset(held))


def test_a_hold_lasts_from_first_to_last_sight_and_names_the_revision_that_took_it():
    rounds = [
        look(0.6, ("tools", "RowExclusiveLock")),  # what the migration's own updates take: blocks nobody
        look(1.6, ("tools", "AccessExclusiveLock"), ("new_table", "AccessExclusiveLock")),
        look(2.6, ("tools", "AccessExclusiveLock"), ("prompts", "ShareLock")),
        look(3.6),
    ]
    found = holds(rounds, REVISIONS, started=100.0, tables={"tools", "prompts"})
    assert LockHold("tools", "reads and writes", "c3", round(1.0 + PERIOD, 3)) in found
    assert LockHold("tools", "writes", "c3", round(1.0 + PERIOD, 3)) in found
    assert LockHold("prompts", "writes", "c3", PERIOD) in found
    assert not any(hold.table == "new_table" for hold in found), "a table the old release never had blocks nobody"
    assert len(found) == 3 and found[0].seconds >= found[-1].seconds


def test_a_hold_still_held_at_the_last_round_is_closed_there():
    (hold,) = holds([look(0.6, ("tools", "AccessExclusiveLock"))], REVISIONS, 100.0, {"tools"})[:1]
    assert (hold.revision, hold.seconds) == ("b2", PERIOD)


def test_the_running_revision_at_an_offset():
    assert [running(REVISIONS, t) for t in (0.1, 0.5, 1.49, 9.0)] == ["", "b2", "b2", "c3"]
