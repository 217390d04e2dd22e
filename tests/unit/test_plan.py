"""The plan's placement of scenarios: epic = story, feature = case, severity, and no scenario left out."""

import re
from pathlib import Path

import pytest

from upgrade_suite.reporting.plan import CASES, PLAN_URL, STORIES, place

FEATURES = Path(__file__).resolve().parents[2] / "features"


def test_a_case_is_filed_under_its_story_with_the_severity_the_plan_gives_it():
    placement = place(["UPG-04", "rollback", "sqlite"])
    assert placement.labels() == [("epic", STORIES["US-1"]), ("feature", "UPG-04: Rollback"), ("severity", "critical")]
    assert placement.link == "Test plan #2474: UPG-04: Rollback" and PLAN_URL.endswith("/issues/2474")


def test_a_storys_acceptance_scenario_is_a_blocker_of_that_story():
    assert place(["US-2", "UPG-07"]).labels() == [
        ("epic", STORIES["US-2"]),
        ("feature", "UPG-07: Idempotent migration"),
        ("severity", "blocker"),
    ]
    assert place(["UPG-07"]).severity == "normal"


def test_checks_beyond_the_plan_are_filed_under_the_story_they_guard():
    walk = place(["revision-walk", "postgres"])
    assert (walk.epic, walk.feature, walk.severity, walk.link) == (
        STORIES["US-2"],
        "Revision walk: every revision up and down (beyond the plan)",
        "minor",
        "Test plan #2474",
    )


def test_no_case_no_placement_and_two_cases_are_a_mistake():
    assert place(["sqlite", "wip"]) is None
    with pytest.raises(ValueError, match=r"one case of the plan, these tags name \['UPG-01', 'UPG-02'\]"):
        place(["UPG-01", "UPG-02"])


def test_every_case_and_story_tag_in_the_features_is_known_and_every_scenario_is_placed():
    text = "\n".join(p.read_text() for p in sorted(FEATURES.glob("*.feature")))
    used = set(re.findall(r"@((?:UPG|US)-\d+)", text))
    assert used and used <= CASES.keys() | STORIES.keys()
    from behave.parser import parse_file

    scenarios = [s for p in sorted(FEATURES.glob("*.feature")) for s in parse_file(str(p)).walk_scenarios()]
    unplaced = [s.name for s in scenarios if place(s.effective_tags) is None]
    assert scenarios and not unplaced


def test_matrix_cells_are_filed_beyond_the_plan_under_us_1():
    cell = place(["matrix", "back", "sqlite"])
    assert (cell.epic, cell.feature) == (
        STORIES["US-1"],
        "Matrix: every release to the newest, hop by hop and back (beyond the plan)",
    )


def test_todays_releases_are_filed_apart_from_the_plans_pair():
    placement = place(["UPG-01", "sqlite", "current"])
    assert placement is not None and placement.feature == "UPG-01 on today's releases (to the newest)"
    assert placement.link == "Test plan #2474: UPG-01: RC1 to GA"  # the plan's case it checks
