"""Where a release serves its REST API is read from its OpenAPI document, never assumed."""

from upgrade_suite.client.api import LegacyPath, Routes

#: Paths as 1.1.0's /openapi.json lists them (abridged): the REST API under /v1, health and MCP outside.
OPENAPI_110 = {
    "paths": {
        p: {}
        for p in (
            "/v1/tools",
            "/v1/tools/{tool_id}",
            "/v1/teams/",
            "/v1/teams/{team_id}/members",
            "/v1/auth/email/me",
            "/v1/servers",
            "/servers/{server_id}/sse",
            "/health",
            "/ready",
        )
    }
}


def test_a_release_without_v1_paths_is_served_where_it_always_was():
    routes = Routes.from_openapi({"paths": {"/tools": {}, "/teams/": {}, "/health": {}}})
    assert [routes.path(p) for p in ("/tools", "/teams/", "/health")] == ["/tools", "/teams/", "/health"]


def test_versioned_paths_get_the_prefix_and_the_rest_stay():
    routes = Routes.from_openapi(OPENAPI_110)
    assert routes.path("/tools") == "/v1/tools"
    assert routes.path("/teams/abc/members") == "/v1/teams/abc/members"
    assert routes.path("/auth/email/me") == "/v1/auth/email/me"
    assert routes.path("/servers") == "/v1/servers"
    assert [routes.path(p) for p in ("/health", "/ready", "/mcp/")] == ["/health", "/ready", "/mcp/"]
    assert routes.path("/v1/tools") == "/v1/tools"  # already versioned: unchanged


def test_a_legacy_path_names_its_successor_and_sunset():
    line = LegacyPath("/tools", "/v1/tools", 200, "Sat, 26 Sep 2026 00:00:00 GMT", "true").render()
    assert (
        line
        == "GET /tools still answers (200, Sunset: Sat, 26 Sep 2026 00:00:00 GMT); the release serves it at /v1/tools"
    )
    assert "no longer answers" in LegacyPath("/tools", "/v1/tools", 404, "", "").render()


def test_a_few_plugin_paths_under_v1_do_not_move_the_rest():
    """GA lists /v1/tools/plugin_bindings/ but serves its tools at /tools."""
    routes = Routes.from_openapi(
        {"paths": {"/tools": {}, "/v1/tools/plugin_bindings/": {}, "/v1/tools/plugin_bindings/{team_id}": {}}}
    )
    assert routes.path("/tools") == "/tools"
    assert routes.path("/tools/plugin_bindings/abc") == "/v1/tools/plugin_bindings/abc"


def test_json_rpc_tools_are_read_across_every_cursor_page():
    """1.1.0 answers tools/list 100 at a time with nextCursor; GA in one page."""
    from upgrade_suite.client.api import GatewayApi

    class Paged(GatewayApi):
        def __init__(self) -> None:
            self.asked: list[object] = []

        def rpc(self, method, params=None):
            self.asked.append(params)
            cursor = (params or {}).get("cursor")
            return {"tools": [{"name": "a"}], "nextCursor": "p2"} if cursor is None else {"tools": [{"name": "b"}]}

    api = Paged()
    assert [t["name"] for t in api.rpc_tools()] == ["a", "b"]
    assert api.asked == [None, {"cursor": "p2"}]
