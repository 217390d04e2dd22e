"""The start-up budget: time to healthy read from a start's polls, judged against the old release's on the same data."""

from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.start_budget import BUDGET, StartBudget, starts_within_budget
from upgrade_suite.services.startup import Poll, Refusal, StartTimeline

NEW = "latest (1.1.0)"


def timeline(release: str, *polls: tuple[float, str, bool]) -> StartTimeline:
    return StartTimeline(release, [Poll(*poll) for poll in polls])


OLD = timeline("GA (1.0.0)", (1.0, "", False), (6.0, "unhealthy", False), (10.0, "healthy", True))


def test_time_to_healthy_and_ready_are_read_from_the_polls():
    start = timeline(NEW, (2.0, "", False), (8.0, "healthy", False), (9.0, "healthy", True))
    assert (start.healthy_after, start.ready_after, start.relapses()) == (8.0, 9.0, [])
    assert start.as_dict()["healthy_after_s"] == 8.0 and start.as_dict()["polls"] == 3


def test_the_budget_is_twice_the_old_time_or_fifteen_seconds_more():
    assert BUDGET == StartBudget(2.0, 15.0)
    assert BUDGET.allowed(10.0) == 25.0 and BUDGET.allowed(20.0) == 40.0


def test_a_start_within_budget_passes():
    assert starts_within_budget([OLD], [timeline(NEW, (24.9, "healthy", True))]).ok


def test_a_start_beyond_budget_fails_naming_both_times():
    result = starts_within_budget([OLD], [timeline(NEW, (3.0, "", False), (25.5, "healthy", True))])
    assert not result.ok
    assert result.findings() == [Problem("start-up over budget", (NEW,))]
    assert "25.5 s against 10.0 s for GA (1.0.0), allowed 25.0 s" in result.problems()[0]


def test_an_unhealthy_body_after_the_first_healthy_one_fails():
    flapping = timeline(NEW, (5.0, "healthy", False), (5.5, "unhealthy", False), (6.0, "healthy", True))
    result = starts_within_budget([OLD], [flapping])
    assert not result.ok and result.findings() == [Problem("unhealthy after healthy", (NEW,))]
    assert "'unhealthy' at 5.5 s" in result.problems()[0]


def test_a_start_that_never_became_healthy_fails():
    result = starts_within_budget([OLD], [timeline(NEW, (5.0, "unhealthy", False))])
    assert not result.ok and "latest (1.1.0) became healthy: 1 polls" in result.problems()


def test_an_authenticated_read_refused_after_ready_fails_naming_its_status():
    early = timeline(NEW, (5.0, "healthy", True))
    early.refused.append(Refusal(5.1, 401, '{"detail":"Invalid authentication credentials"}'))
    early.serving_after = 5.8
    result = starts_within_budget([OLD], [early])
    assert result.findings() == [Problem("refused after ready", (NEW,))]
    assert "401 at 5.1 s" in result.problems()[0]
    assert early.as_dict()["serving_after_s"] == 5.8
    assert early.as_dict()["refused_after_ready"][0]["status"] == 401


def test_repeated_starts_are_judged_on_each_releases_fastest_and_all_are_listed():
    loaded = timeline(NEW, (31.0, "healthy", True))  # measured while the machine was busy
    calm = timeline(NEW, (12.0, "healthy", True))
    assert BUDGET.exceeded([OLD], [loaded]) and not BUDGET.exceeded([OLD], [loaded, calm])
    result = starts_within_budget([OLD, timeline("GA (1.0.0)", (9.0, "healthy", True))], [loaded, calm])
    assert result.ok
    assert "12.0 s against 9.0 s" in result.render() and "31.0 s, 12.0 s against 10.0 s, 9.0 s" in result.render()


def test_a_release_slower_in_every_attempt_stays_over_budget():
    slow = [timeline(NEW, (at, "healthy", True)) for at in (30.0, 28.0, 29.0)]
    assert BUDGET.exceeded([OLD, OLD, OLD], slow)
    result = starts_within_budget([OLD, OLD, OLD], slow)
    assert result.findings() == [Problem("start-up over budget", (NEW,))]


def test_a_start_that_never_became_healthy_is_not_measured_again():
    assert not BUDGET.exceeded([OLD], [timeline(NEW, (5.0, "unhealthy", False))])


def test_a_relapse_in_a_repeated_start_fails_too():
    flapping = timeline(NEW, (5.0, "healthy", False), (5.5, "unhealthy", False))
    result = starts_within_budget([OLD, OLD], [timeline(NEW, (30.0, "healthy", True)), flapping])
    assert Problem("unhealthy after healthy", (NEW,)) in result.findings()
