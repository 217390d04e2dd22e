"""The sign-off report as a person sees it, read back from the browser and compared with the result files.

A report can be generated without error and still say the wrong thing (a stale page, a category
rule matching nothing, an attachment that does not open). So the rendered page is read where its
reader reads it: the results tree (each scenario's verdict), the overview's Metadata block (what
was tested), the Categories tab (product defects apart from suite errors) and one failed
scenario, whose evidence attachments are opened one by one. Allure 3's awesome report marks these
with ``data-testid`` attributes; the scripts below read only those. ``check`` then compares the
page with the result files: any verdict, metadata line, category member or attachment that
differs is a problem, named. And with the runs' own verdicts (``run.json``): a scenario the gate judged must be
on the page, executed, with the status its verdict means; a results directory a later listing or selection
polluted shows it "skipped", and the page alone cannot tell.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.known_defects import FIXED, KNOWN, NEW
from upgrade_suite.reporting.browser import HeadlessChromium
from upgrade_suite.reporting.report_categories import CATEGORIES, LABELS

#: Allure 3's awesome report: the icon of a tree leaf is ``tree-leaf-status-<status>``.
_LEAVES = """[...document.querySelectorAll('[data-testid=tree-leaf]')].map(leaf => [
  leaf.id,
  leaf.querySelector('[data-testid=tree-leaf-title]').innerText.trim(),
  (leaf.querySelector('[data-testid^=tree-leaf-status-]') || {dataset: {testid: '?'}}).dataset.testid
    .replace('tree-leaf-status-', '')])"""
#: A group of the tree whose results all passed starts closed: its leaves are not in the page until it is opened.
#: A section is open when its subtree follows it.
_CLOSED = (
    "[...document.querySelectorAll('[data-testid=tree-section]')].filter(s => !s.nextElementSibling).map(s => s.id)"
)
_TREE = "document.querySelectorAll('[data-testid=tree-section],[data-testid=tree-leaf]').length"
#: What the Categories tab says when no result is in any category (every scenario passed).
_NO_CATEGORIES = "No categories results available"
_METADATA = """[...document.querySelectorAll('[data-testid=metadata-item]')].map(item => [
  item.querySelector('[data-testid=metadata-item-key]').innerText.trim(),
  item.querySelector('[data-testid=metadata-item-value]').innerText.trim()])"""
#: The Metadata block shows its first eight lines and a "Show more" button for the rest.
_SHOW_MORE = """[...document.querySelectorAll('button')].filter(button => button.innerText.trim() === 'Show more')"""
#: Each category of the Categories tab with the count its status bar shows (the sections are what a reader
#: sees first; their scenarios sit in collapsed groups that do not open to a scripted click).
_CATEGORY_COUNTS = """Object.fromEntries([...document.querySelectorAll('[data-testid=tree-section]')]
  .filter(section => section.style.getPropertyValue('--categories-sticky-depth').trim() === '0')
  .map(section => [
    section.querySelector('[data-testid=tree-section-title]').innerText.trim(),
    [...section.querySelectorAll('[class*=tree-status-bar-item]')]
      .reduce((n, item) => n + Number(item.innerText), 0)]))"""
_HEADERS = "[...document.querySelectorAll('[data-testid=test-result-attachment-header]')]"
#: An attachment header's text is its index, name, type and size, one per line.
_NAME = "header.innerText.split('\\n')[1] || ''"
_ATTACHMENT_HEADERS = _HEADERS + ".length"
_OPEN_ATTACHMENTS = """[...document.querySelectorAll('[data-testid=test-result-attachment]')].forEach(attachment =>
  attachment.querySelector('[data-testid=test-result-attachment-header] > button').click())"""
_GLOBAL_ATTACHMENTS = f"{_HEADERS}.map(header => {_NAME})"
_OPENED_ATTACHMENTS = (
    """[...document.querySelectorAll('[data-testid=test-result-attachment]')].map(attachment => [
  (header => """
    + _NAME
    + """)(attachment.querySelector('[data-testid=test-result-attachment-header]')),
  ((attachment.querySelector('[data-testid=code-attachment-content]') || {}).innerText || null)?.slice(0, 4000)])"""
)


#: The Allure statuses a scenario may show with, by the verdict the run gave it (``summary.verdict``).
SHOWN_AS = {
    "passed": {"passed"},
    "failed": {"failed"},
    KNOWN: {"failed"},
    "red by design": {"failed"},
    NEW: {"failed", "broken"},
    FIXED: {"passed", "failed"},
    "broken": {"broken"},
    "skipped": {"skipped"},
}


@dataclass
class RenderedReport:
    """What the page showed: verdict per scenario, metadata, category members, one failed scenario's attachments."""

    verdicts: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)  # category -> how many scenarios it shows
    failed_scenario: str = ""
    attachments: dict[str, str | None] = field(default_factory=dict)  # name -> opened text (None: did not open)
    global_attachments: list[str] = field(default_factory=list)  # the report's evidence about the run as a whole


def read(html: Path, shots: Path, browser: HeadlessChromium | None = None) -> RenderedReport:
    """Render ``html`` in headless Chromium and read it; screenshots of the overview and a failed scenario go to
    ``shots`` (report-overview.png, report-failed-scenario.png)."""
    if browser is None:
        with HeadlessChromium() as own:
            return read(html, shots, own)
    url = html.resolve().as_uri()
    rendered = RenderedReport()
    browser.load(url, _TREE, "the results tree")
    _open_every_group(browser)
    leaves = browser.wait_for(_LEAVES + ".length && " + _LEAVES, "the results tree's leaves")
    rendered.verdicts = {title: status for _, title, status in leaves}
    browser.wait_for(_METADATA + ".length", "the Metadata block")
    browser.evaluate(_SHOW_MORE + ".forEach(button => button.click())")
    browser.wait_for(_SHOW_MORE + ".length === 0", "every line of the Metadata block")
    rendered.metadata = dict(browser.evaluate(_METADATA))
    browser.screenshot(shots / "report-overview.png")
    browser.open(url + "#categories")
    # The sections render before their status bars fill in: a category is shown only with members, so wait
    # until every section counts at least one.
    rendered.categories = browser.wait_for(
        f"(counts => Object.keys(counts).length && Object.values(counts).every(n => n > 0) && counts)"
        f"({_CATEGORY_COUNTS}) || (document.body.innerText.includes({_NO_CATEGORIES!r}) && {{'': 0}})",
        "the Categories tab with its counts",
    )
    rendered.categories.pop("", None)  # the tab said no result is in any category
    failed = next(((leaf, title) for leaf, title, status in leaves if status == "failed"), None)
    if failed is not None:
        rendered.failed_scenario = failed[1]
        browser.open(f"{url}#{failed[0]}")
        browser.wait_for(_ATTACHMENT_HEADERS, f"the attachments of {failed[1]!r}")
        browser.evaluate(_OPEN_ATTACHMENTS)
        browser.wait_for(
            "document.querySelectorAll('[data-testid=code-attachment-content]').length", "an opened attachment"
        )
        rendered.attachments = {name: text for name, text in browser.evaluate(_OPENED_ATTACHMENTS)}
        browser.screenshot(shots / "report-failed-scenario.png")
    browser.open(url + "#globalAttachments")
    if browser.evaluate("(document.querySelector('[data-testid=nav-tab-globalAttachments]') || {}).innerText") != (
        "Global Attachments 0"
    ):
        rendered.global_attachments = browser.wait_for(
            _GLOBAL_ATTACHMENTS + ".length && " + _GLOBAL_ATTACHMENTS, "the global attachments"
        )
    return rendered


def _open_every_group(browser: HeadlessChromium, rounds: int = 20) -> None:
    """Open each closed group of the tree, level by level, each click seen rendered before the next round (a second
    click on a group still opening would close it again)."""
    for _ in range(rounds):
        closed = browser.evaluate(_CLOSED)
        if not closed:
            return
        ids = json.dumps(closed)
        browser.evaluate(
            f"{ids}.forEach(id => document.getElementById(id).querySelector('[data-testid=tree-arrow]').click())"
        )
        browser.wait_for(
            f"{ids}.every(id => document.getElementById(id).nextElementSibling)", "the tree's groups to open"
        )
    raise SuiteError(f"the results tree still had closed groups after {rounds} rounds of opening them")


@dataclass(frozen=True)
class ReportCheck:
    """The page against the result files: each difference, named; empty when the page tells the truth."""

    differences: tuple[str, ...]
    compared: str

    @property
    def ok(self) -> bool:
        return not self.differences

    def problems(self) -> list[str]:
        return list(self.differences)

    def render(self) -> str:
        verdict = "the page shows what the results hold" if self.ok else "the page differs from the results"
        return "\n".join([f"{verdict} ({self.compared})", *(f"  - {d}" for d in self.differences)])


def _results(results: Path) -> list[dict[str, Any]]:
    """The result files, the newest of each scenario name (a re-run replaces an earlier result in the tree)."""
    newest: dict[str, dict[str, Any]] = {}
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text())
        if result["name"] not in newest or result.get("stop", 0) > newest[result["name"]].get("stop", 0):
            newest[result["name"]] = result
    return list(newest.values())


def category_of(result: dict[str, Any]) -> str | None:
    """The category the report's rules put a result in (first match wins), as ``report`` declares them."""
    labels: dict[str, set[str]] = {}
    for label in result.get("labels", []):
        labels.setdefault(label["name"], set()).add(label["value"])
    for category in CATEGORIES:
        matched = all(category[name] in labels.get(name, set()) for name in LABELS if name in category)
        if result["status"] in category["statuses"] and matched:
            return str(category["name"])
    return None


def _environment(results: Path) -> dict[str, str]:
    source = results / "environment.properties"
    lines = source.read_text().splitlines() if source.exists() else []
    return dict(tuple(part.strip() for part in line.split("=", 1)) for line in lines if "=" in line)  # type: ignore[misc]


def _failed_step_attachments(steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The attachments of the deepest failed step: the evidence a reader opens first."""
    for step in steps:
        if step.get("status") == "failed":
            return _failed_step_attachments(step.get("steps", [])) or list(step.get("attachments", []))
    return []


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def against_verdicts(verdicts: dict[str, str], shown: dict[str, str]) -> list[str]:
    """Each scenario a run judged (title -> verdict) against the status the page shows it with."""
    differences = []
    for title, verdict in sorted(verdicts.items()):
        status = shown.get(title)
        if status not in SHOWN_AS.get(verdict, {status}):
            differences.append(f"{title!r}: the run judged it {verdict}, the page shows {status or 'nothing'}")
    return differences


def check(results: Path, rendered: RenderedReport, verdicts: dict[str, str] | None = None) -> ReportCheck:
    """Every scenario of the results with its verdict, the metadata, the categories and the failed evidence;
    with ``verdicts`` (the runs' judgements), every judged scenario shown executed as judged."""
    found = _results(results)
    differences = against_verdicts(verdicts or {}, rendered.verdicts)
    for result in found:
        shown = rendered.verdicts.get(result["name"])
        if shown != result["status"]:
            differences.append(f"{result['name']!r}: the results say {result['status']}, the page {shown or 'nothing'}")
    differences += [
        f"{name!r} is on the page but in no result file" for name in set(rendered.verdicts) - {r["name"] for r in found}
    ]
    for key, value in _environment(results).items():
        if rendered.metadata.get(key) != value:
            differences.append(f"metadata {key}: the results say {value!r}, the page {rendered.metadata.get(key)!r}")
    expected: dict[str, int] = {}
    for result in found:
        category = category_of(result)
        if category is not None:
            expected[category] = expected.get(category, 0) + 1
    for category in sorted(set(expected) | set(rendered.categories)):
        if expected.get(category, 0) != rendered.categories.get(category, 0):
            differences.append(
                f"category {category!r}: the results put {expected.get(category, 0)} scenarios in it, "
                f"the page {rendered.categories.get(category, 0)}"
            )
    failed = next((r for r in found if r["name"] == rendered.failed_scenario), None)
    if failed is None and any(r["status"] == "failed" for r in found):
        differences.append("a scenario failed but the page shows no failed scenario to open")
    for attachment in _failed_step_attachments(failed["steps"]) if failed else []:
        opened = rendered.attachments.get(attachment["name"])
        source = _first_line((results / attachment["source"]).read_text(errors="replace"))
        if opened is None or source not in opened:
            differences.append(
                f"{rendered.failed_scenario!r}: its attachment {attachment['name']!r} does not open to its file"
            )
    compared = (
        f"{len(found)} scenarios, {len(verdicts or {})} verdicts of the runs, "
        f"{len(_environment(results))} metadata lines, {len(expected)} categories, "
        f"{len(rendered.attachments)} attachments of {rendered.failed_scenario or 'no failed scenario'!r} opened"
    )
    return ReportCheck(tuple(differences), compared)
