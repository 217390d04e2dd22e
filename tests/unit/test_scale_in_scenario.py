"""UPG-03 at scale: the in-database comparison read as one check per table; the API paged as a declared sample."""

from typing import Any

import httpx
from sqlalchemy import create_engine

from upgrade_suite.client.api import GatewayApi, Routes
from upgrade_suite.judging.at_scale import IN_DATABASE_ABOVE, at_scale, profile, rows_verdict
from upgrade_suite.judging.checks import paginated_listing
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.rows import RowComparison
from upgrade_suite.judging.snapshots import Snapshot, api_snapshot


def test_above_a_hundred_thousand_rows_the_production_profile_and_the_database_checks_are_used():
    assert IN_DATABASE_ABOVE == 100_000
    assert (at_scale(100_000), profile(100_000)) == (False, "fixture")
    assert (at_scale(1_000_000), profile(1_000_000)) == (True, "production")


def test_each_table_is_a_check_and_a_differing_one_is_named():
    comparison = RowComparison("chunks", compared={"tool_metrics": 500_000, "tools": 10_000})
    comparison.differ("tool_metrics", 2)
    comparison.transformed["resources.name"] = (12, "1.1.0 prefixes a federated resource's name")
    verdict = rows_verdict(comparison)
    assert not verdict.ok
    assert verdict.findings() == [Problem("rows differ", ("sql", "tool_metrics"))]
    assert "tool_metrics: 500000 rows" in verdict.render() and "2 chunks differ" in verdict.render()
    assert "resources.name: 12 values moved by a declared transformation" in verdict.render()


def test_a_table_gone_with_its_rows_is_named_and_an_unchanged_comparison_passes():
    gone = RowComparison("rows", compared={"tools": 3})
    gone.differ("auth_events", 40)
    assert rows_verdict(gone).findings() == [Problem("table lost", ("sql", "auth_events"))]
    assert rows_verdict(RowComparison("rows", compared={"tools": 3})).ok


class PagedApi:
    """Pages of 100 over ``count`` objects of each kind (``first`` listed before them: rows the database lacks)."""

    def __init__(self, count: int, first: tuple[str, ...] = ()) -> None:
        self.count, self.first = count, first
        self.pages = 0

    def paginated_ids(self, kind: str, limit: int | None = None) -> list[str]:
        ids = [*self.first, *(f"{kind}-{i}" for i in range(self.count))]
        listed: list[str] = []
        while limit is None or len(listed) < limit:
            page = ids[len(listed) : len(listed) + 100]
            if not page:
                break
            self.pages += 1
            listed += page
        return listed

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        return {"id": object_id}


def engine_with(count: int):
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        for kind in ("tools", "servers", "resources", "prompts"):
            connection.exec_driver_sql(f"CREATE TABLE {kind} (id TEXT, visibility TEXT, owner_email TEXT)")
            connection.exec_driver_sql(
                f"INSERT INTO {kind} VALUES " + ",".join(f"('{kind}-{i}', 'public', 'a')" for i in range(count))
            )
    return engine


def test_the_sample_pages_only_the_declared_number_and_says_so():
    engine, api = engine_with(2500), PagedApi(2500)
    result = paginated_listing(api, engine, lambda kind, row: False, paged=1000)  # type: ignore[arg-type]
    assert result.ok and api.pages == 4 * 10 and "the first 1000 of each kind, a declared sample" in result.title
    assert "tools: 1000 of 2500 rows paged through, each a stored row" in result.render()


def test_a_sampled_page_listing_a_row_the_database_does_not_hold_fails():
    engine = engine_with(300)
    api = PagedApi(300, first=("ghost",))
    result = paginated_listing(api, engine, lambda kind, row: False, paged=100)  # type: ignore[arg-type]
    assert not result.ok and "1 not stored ['ghost']" in result.render()


def api_listing(listed: dict[str, int], readable: set[str]) -> tuple[GatewayApi, list[str]]:
    """An API listing ``listed[kind]`` objects per kind (ids kind-0..), newest first; GET by id finds ``readable``."""
    reads: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        kind = request.url.path.strip("/").split("/")[0]
        parts = request.url.path.strip("/").split("/")
        if len(parts) == 2:
            reads.append(parts[1])
            found = parts[1] in readable
            return httpx.Response(200 if found else 404, json={"id": parts[1], "name": parts[1]})
        limit = int(request.url.params.get("limit", "0")) or 10**6
        items = [{"id": f"{kind}-{i}", "name": f"{kind}-{i}"} for i in range(min(listed.get(kind, 0), limit))]
        if kind == "teams":
            items = items[int(request.url.params.get("skip", "0")) :][:100]
            return httpx.Response(200, json={"teams": items, "total": listed.get("teams", 0)})
        return httpx.Response(200, json=items)

    api = GatewayApi("http://gateway", "token", 5.0, routes=Routes())
    api._client = httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handler))
    return api, reads


def test_a_sample_whose_window_is_full_reads_the_missing_objects_by_id_and_a_short_listing_does_not():
    before = api_snapshot(api_listing({"tools": 150, "gateways": 60}, set())[0], limit=100)
    assert before.counts()["tools"] == 100 and before.counts()["gateways"] == 60
    shifted = Snapshot("api", {**before.groups, "tools": {"tools-x": {}, **before.groups["tools"]}}, before.fields)
    api, reads = api_listing({"tools": 150, "gateways": 40}, {"tools-x"})
    after = api_snapshot(api, limit=100, sampled=shifted)
    assert reads == ["tools-x"]  # tools filled the window; gateways listed 40 < 100: complete, nothing read
    assert "tools-x" in after.groups["tools"] and after.counts()["gateways"] == 40


def test_an_object_the_release_declares_hidden_is_not_read_by_id():
    before = api_listing({"tools": 150}, set())[0]
    sample = api_snapshot(before, limit=100)
    sample.groups["tools"]["tools-private"] = {"visibility": "private", "ownerEmail": "someone@example.com"}
    api, reads = api_listing({"tools": 150}, set())
    api_snapshot(api, limit=100, sampled=sample, hidden=lambda kind, row: row.get("visibility") == "private")
    assert reads == []
