"""An operation on both databases reads as a sentence, and any difference in answer or in what is left is a finding."""

from upgrade_suite.judging.operations import OUTCOME_DIFFERS, OperationProbe, Outcome

WHAT = "deleting the federated gateway 'x'"
REMOVED = Outcome("deleted", {"tools": 3, "prompts": 0}, {"tools": 0, "prompts": 0})
LEFT = Outcome("deleted", {"tools": 3, "prompts": 0}, {"tools": 3, "prompts": 0})
REFUSED = Outcome("refused with HTTP 409: still referenced", {"tools": 3}, {"tools": 3})


def test_the_same_outcome_on_both_databases_is_no_difference():
    probe = OperationProbe(WHAT, "GA (1.0.0)", REMOVED, REMOVED)
    assert probe.ok and probe.findings() == []
    assert probe.sentence() == (
        "no difference: deleting the federated gateway 'x' deletes it: its 3 tools removed on the upgraded database "
        "and on a fresh install"
    )


def test_tools_left_behind_on_the_upgraded_database_is_a_finding_in_words():
    probe = OperationProbe(WHAT, "latest (1.1.0)", LEFT, REMOVED)
    assert not probe.ok
    [finding] = probe.findings()
    assert finding.kind == OUTCOME_DIFFERS and finding.keys == (WHAT,)
    assert finding.text == (
        "on the upgraded database, deleting the federated gateway 'x' deletes it: its 3 tools left behind; "
        "a fresh latest (1.1.0) install deletes it: its 3 tools removed"
    )


def test_a_refusal_on_one_side_only_is_a_finding():
    probe = OperationProbe(WHAT, "GA (1.0.0)", REFUSED, REMOVED)
    assert not probe.ok
    assert probe.sentence().startswith(
        "on the upgraded database, deleting the federated gateway 'x' is refused with HTTP 409: still referenced "
        "(its 3 tools kept with it)"
    )
    assert OperationProbe(WHAT, "GA", REFUSED, REFUSED).ok  # refused alike: the same outcome
