"""The workload's comparison: the same script on two gateways, whatever differs in an answer or the end state named."""

import itertools
import json

import httpx

from upgrade_suite.client.api import ApiError, GatewayApi, Routes
from upgrade_suite.client.people import PERSON, PROVIDER, TEAM, _personal
from upgrade_suite.client.workload import PREFIX, Workload, _listed
from upgrade_suite.judging.operations import OUTCOME_DIFFERS
from upgrade_suite.judging.workload import WorkloadComparison

PATHS = {"/teams": "teams", "/tools": "tools", "/resources": "resources", "/prompts": "prompts"}
PATHS |= {"/servers": "servers", "/gateways": "gateways", "/a2a": "a2a"}


def fake_gateway(unique_tool_names_per_team: bool) -> GatewayApi:
    """A gateway keeping objects in memory; the upgraded database's kind refuses a second tool name in a team."""
    objects: dict[str, dict[str, dict]] = {kind: {} for kind in PATHS.values()}
    ids = itertools.count(1)

    def handler(request: httpx.Request) -> httpx.Response:
        parts = request.url.path.rstrip("/").split("/")
        if "/" + parts[1] not in PATHS or len(parts) > 3:  # users, members, tokens: a release without them
            return httpx.Response(404, json={"detail": "Not Found"})
        kind, object_id = PATHS["/" + parts[1]], (parts[2] if len(parts) > 2 else None)
        if request.method == "POST":
            body = json.loads(request.content)
            fields = next((body[k] for k in (kind[:-1], "agent") if k in body), body)
            taken = [
                t
                for t in objects["tools"].values()
                if (t["name"], t.get("team_id")) == (fields["name"], fields.get("team_id"))
            ]
            if kind == "tools" and unique_tool_names_per_team and taken:
                return httpx.Response(409, json={"detail": "exists"})
            new = str(next(ids))
            objects[kind][new] = {"id": new, **fields}
            return httpx.Response(201, json=objects[kind][new])
        if request.method == "GET" and object_id is None:
            listed = list(objects[kind].values())
            return httpx.Response(200, json={"teams": listed, "total": len(listed)} if kind == "teams" else listed)
        if object_id not in objects[kind]:
            return httpx.Response(404, json={"detail": "not found"})
        if request.method == "GET":
            return httpx.Response(200, json=objects[kind][object_id])
        if request.method == "PUT":
            objects[kind][object_id] |= json.loads(request.content)
            return httpx.Response(200, json=objects[kind][object_id])
        del objects[kind][object_id]
        return httpx.Response(204)

    api = GatewayApi("http://gateway", "token", 5.0, routes=Routes())
    api._client = httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handler))
    return api


def compared(upgraded: GatewayApi, fresh: GatewayApi) -> WorkloadComparison:
    runs = [Workload(api, "http://mcp/mcp") for api in (upgraded, fresh)]
    observations = [run.run() for run in runs]
    return WorkloadComparison("1.1.0", *observations, *(run.state() for run in runs))


def test_the_same_answers_and_end_state_on_both_sides_is_no_finding():
    result = compared(fake_gateway(False), fake_gateway(False))
    assert result.ok and result.render().splitlines()[0].endswith("the same answers and end state on both databases")
    assert all(o.answer != "" for o in result.upgraded) and len(result.upgraded) > 15


def test_a_create_refused_on_one_side_only_is_named_with_both_answers():
    result = compared(fake_gateway(True), fake_gateway(False))
    assert [(p.kind, p.keys) for p in result.findings()] == [
        (OUTCOME_DIFFERS, ("create a second tool of the same name in the same team",)),
        (OUTCOME_DIFFERS, ("tools left afterwards",)),
    ]
    first = result.findings()[0].text
    assert first == (
        'create a second tool of the same name in the same team: 409 \'{"detail":"exists"}\' on the upgraded '
        "database, 201 on a fresh install"  # what the refusal said is shown, never compared
    )
    upgraded, fresh = result.findings()[1].text.split(" on the upgraded database, ")
    assert upgraded.count(f"'{PREFIX}_tool'") == 1 and fresh.count(f"'{PREFIX}_tool'") == 2
    assert f"'{PREFIX}_{'n' * 37}... (256 characters)'" in upgraded  # a long name by its start and its length


def test_an_operation_whose_prerequisite_failed_is_not_run_and_says_so():
    workload = Workload(fake_gateway(False), "http://mcp/mcp")
    workload._call("rename the tool", "PUT", "tools", "tool", {"name": "x"})
    assert workload.observations[0].answer == "not run: what it needs was not made"


def test_a_dropped_connection_is_an_answer_not_a_crash_of_the_workload():
    api = fake_gateway(False)
    answer = api.response

    def reset_on_agents(method: str, path: str, **kwargs):
        if path.startswith("/a2a"):
            raise ApiError(f"{method} {path} failed: [Errno 104] Connection reset by peer")
        return answer(method, path, **kwargs)

    api.response = reset_on_agents  # type: ignore[method-assign]
    observed = {o.operation: o.answer for o in Workload(api, "http://mcp/mcp").run()}
    assert observed["register an A2A agent with a generated UAID in a team"] == (
        "no answer ([Errno 104] Connection reset by peer)"
    )
    assert observed["delete A2A agent A"] == "not run: what it needs was not made"
    assert observed["delete the prompt"] == "204"  # the rest of the script ran on


def test_a_users_token_is_used_as_its_bearer_and_a_deleted_users_token_is_asked_again():
    api = fake_gateway(False)
    answer, asked = api.response, []

    def people(method: str, path: str, **kwargs):
        if path == "/auth/email/admin/users":
            return httpx.Response(201, json={"email": kwargs["json"]["email"]})
        if path == "/auth/email/login":  # each person's session is their own
            return httpx.Response(200, json={"access_token": f"session-of-{kwargs['json']['email']}"})
        return answer(method, path, **kwargs)

    def bearer(token: str):
        asked.append(token)
        other = fake_gateway(False)
        made = {"id": "made", "token": {"id": "t1"}, "access_token": "api-token-of-the-user"}
        teams = {"teams": [{"id": "a-team", "is_personal": False}, {"id": "personal", "is_personal": True}]}
        other.response = lambda method, path, **kwargs: httpx.Response(
            401 if path == "/tools" else 201, json=teams if (method, path) == ("GET", "/teams/") else made
        )
        return other

    api.response = people  # type: ignore[method-assign]
    api.bearer = bearer  # type: ignore[method-assign]
    workload = Workload(api, "http://mcp/mcp")
    observed = {o.operation: o.render() for o in workload.run()}
    assert observed["create a user"] == "201" and observed["log in as the user"] == "200"
    assert observed["the user creates an API token"] == "201"
    # the login's token, the user's API token, the login's again (a tool of the user's, a request to join a team),
    # the API token after deletion
    user = f"session-of-{PREFIX}-user@example.com"
    assert [t for t in asked if t in (user, "api-token-of-the-user")] == [user, "api-token-of-the-user", user, user] + [
        "api-token-of-the-user"
    ]
    # the second administrator's session makes a role, grants it, makes a team, invites, makes and revokes a token,
    # turns a join request down
    assert asked.count(f"session-of-{PREFIX}-admin@example.com") == 7
    assert asked.count(f"session-of-{PREFIX}-inviter@example.com") == 1  # the co-owner adds a member
    # the owner lists their teams, makes a token, asks to join a team
    assert asked.count(f"session-of-{PREFIX}-owner@example.com") == 3
    assert observed["create tool in the owner's personal team"] == "201"
    assert workload.traces()["the owner's deleted personal team"] == (TEAM, "personal")
    assert workload.traces()["the deleted administrator"] == (PERSON, f"{PREFIX}-admin@example.com")
    assert observed["the deleted user's API token lists the tools"].startswith("401 ")
    assert observed["create an API token of the public team"].startswith("404 ")  # the fake has no team tokens


def test_a_team_list_without_one_personal_team_is_noted_and_its_objects_not_made():
    api = fake_gateway(False)
    workload = Workload(api, "http://mcp/mcp")
    workload.secrets["owner_session"] = "session"
    api.bearer = lambda token: api  # type: ignore[method-assign]
    workload._look_up("the owner lists their teams", "owner_team", "/teams/", _personal, bearer="owner_session")
    assert workload.observations[0].render() == "200 (its answer lacks what later operations need)"
    assert "the owner's deleted personal team" not in workload.traces()


def test_an_answer_without_what_the_workload_keeps_is_noted_not_raised():
    api = fake_gateway(False)
    answer = api.response
    api.response = lambda method, path, **kwargs: (  # type: ignore[method-assign]
        httpx.Response(200, json={"detail": "welcome"})
        if path == "/auth/email/login"
        else answer(method, path, **kwargs)
    )
    observed = {o.operation: o for o in Workload(api, "http://mcp/mcp").run()}
    assert observed["log in as the user"].render() == "200 (its answer lacks what later operations need)"
    assert observed["the user creates an API token"].answer == "not run: what it needs was not made"


def test_a_list_read_under_a_kept_object_gives_its_length_and_a_missing_one_is_not_run():
    api = fake_gateway(False)
    api.response = lambda method, path, **kwargs: httpx.Response(200, json=[{"role": "a"}, {"role": "b"}])  # type: ignore[method-assign]
    workload = Workload(api, "http://mcp/mcp")
    workload.ids["user"] = "wl-user@example.com"
    workload._read_back_list("the user's roles", "user", "/rbac/users/{}/roles")
    workload._read_back_list("a role of nobody", "nobody", "/rbac/users/{}/roles")
    assert [o.render() for o in workload.observations] == ["200 (2 listed)", "not run: what it needs was not made"]


def test_a_read_back_whose_answer_does_not_show_the_attribute_says_so_never_empty():
    api = fake_gateway(False)
    api.response = lambda method, path, **kwargs: httpx.Response(  # type: ignore[method-assign]
        200, json={"content": "a resource's read answers its content"} if "resources" in path else {"team_id": None}
    )
    workload = Workload(api, "http://mcp/mcp")
    workload.ids |= {"resource": "1", "tool": "2"}
    workload._read_back("the resource's team", "resources", "resource", "team_id")
    workload._read_back("the tool's team", "tools", "tool", "team_id")
    assert [o.detail for o in workload.observations] == ["team_id not shown", "team_id empty"]


def test_the_database_is_read_mid_script_through_the_lab_and_says_so_when_it_cannot_be():
    asked: list[tuple[str, str]] = []

    def look(named: str, value: str) -> list[str]:
        asked.append((named, value))
        return ["email_team_join_requests.team_id: 1"]

    workload = Workload(fake_gateway(False), "http://mcp/mcp", look)
    workload.ids["admin_team"] = "t9"
    workload._rows_naming("rows naming the team", TEAM, "admin_team")
    workload._rows_naming("rows naming a team never made", TEAM, "nobody")
    blind = Workload(fake_gateway(False), "http://mcp/mcp")
    blind.ids["admin_team"] = "t9"
    blind._rows_naming("rows naming the team", TEAM, "admin_team")
    assert asked == [(TEAM, "t9")]
    assert [o.render() for o in workload.observations + blind.observations] == [
        "read (email_team_join_requests.team_id: 1)",
        "not run: what it needs was not made",
        "not read: no database given",
    ]


def test_a_started_sign_in_is_met_by_its_providers_deletion_and_the_provider_is_traced():
    api = fake_gateway(False)
    asked: list[tuple[str, str]] = []

    def sso(method: str, path: str, **kwargs):
        asked.append((method, path))
        if path == "/auth/sso/admin/providers":
            return httpx.Response(200, json={"id": kwargs["json"]["id"]})
        if path.startswith("/auth/sso/login/"):
            return httpx.Response(200, json={"authorization_url": "http://127.0.0.1:9/authorize", "state": "s"})
        return httpx.Response(500, text="FOREIGN KEY constraint failed")

    api.response = sso  # type: ignore[method-assign]
    workload = Workload(api, "http://mcp/mcp")
    workload._single_sign_on()
    assert [o.render() for o in workload.observations] == [
        "200",
        "200",
        "500 'FOREIGN KEY constraint failed'",
        "500 'FOREIGN KEY constraint failed'",
    ]
    assert asked[1] == ("GET", f"/auth/sso/login/{PREFIX}-sso?redirect_uri=/admin")
    assert asked[2] == ("DELETE", f"/auth/sso/admin/providers/{PREFIX}-sso")
    assert workload.traces()["the deleted SSO provider"] == (PROVIDER, f"{PREFIX}-sso")


def test_a_list_filtered_by_tag_counts_only_the_workloads_objects_bare_or_paged():
    for listed in ([{"name": f"{PREFIX}_tool"}, {"name": "other"}], {"items": [{"name": f"{PREFIX}_tool"}]}):
        api = fake_gateway(False)
        api.response = lambda method, path, listed=listed, **kwargs: httpx.Response(200, json=listed)  # type: ignore[method-assign]
        workload = Workload(api, "http://mcp/mcp")
        workload.ids["tool"] = "1"
        workload._read("list the tools tagged", "tool", lambda _: "/tools?tags=x", _listed)
        assert workload.observations[0].render() == "200 (1 of the workload's listed)"
