"""Global attachments: Allure's globals file lists the copies, and filing them again replaces the earlier set."""

import json

from upgrade_suite.reporting import allure_globals


def test_files_are_listed_in_a_globals_file_and_filing_again_replaces_them(tmp_path):
    results, shot, note = tmp_path / "results", tmp_path / "shot.png", tmp_path / "check.txt"
    shot.write_bytes(b"\x89PNG")
    note.write_text("ok")
    allure_globals.attach(results, "report-check", [("overview", shot), ("check", note)])
    allure_globals.attach(results, "report-check", [("check", note)])
    listed = json.loads((results / "report-check-globals.json").read_text())["attachments"]
    assert [(a["name"], a["type"]) for a in listed] == [("check", "text/plain")]
    assert sorted(p.name for p in results.iterdir()) == ["report-check-0-attachment.txt", "report-check-globals.json"]
    assert (results / listed[0]["source"]).read_text() == "ok"
