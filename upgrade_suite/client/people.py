"""The workload's operations on people: users, administrators, teams, API tokens and roles, made and deleted.

Deleting a person is where most of a schema's foreign keys are met: every ``*_by`` column names a user, every
membership, token and role assignment hangs off one, and a user's deletion is the only way the API removes a
team's row (deleting a team is a soft delete in GA and 1.1.0; a user's personal team goes with the user). So the
workload makes three people, each with rows only their deletion meets: an ordinary user (memberships, a token, a
role assignment, a pending request to join a team), a second administrator (a role, a grant, a public team with an
invitation, a turned-down join request, and a revoked token, all made by them) and an owner whose personal team
the platform admin fills with a tool, a resource, a prompt, a server, a gateway and an agent, and who makes a token
of it. What is left behind that the API cannot show, the lab reads in the database (``traces``).
"""

from __future__ import annotations

from typing import Any

from upgrade_suite.client.api import KINDS
from upgrade_suite.client.asking import Asker

#: The names of everything the workload makes (and the state it compares) start with this.
PREFIX = "wl"
#: A password every release's policy accepts for every account: mixed case, a digit, a symbol, and long enough for an
#: administrator's (1.1.0 asks 22 characters of a privileged account).
PASSWORD = "Wl-Upgrade-Passw0rd-Of-Everyone!"
#: The ordinary user the workload creates, adds to a team, logs in as and deletes.
USER = {"email": f"{PREFIX}-user@example.com", "password": PASSWORD, "full_name": "Workload User"}
#: A second administrator beside the platform admin, who makes what names its maker and is then deleted.
ADMIN = {"email": f"{PREFIX}-admin@example.com", "password": PASSWORD, "full_name": "Workload Admin", "is_admin": True}
#: A user in no team but their own, whose personal team holds objects when the user (and so the team) is deleted.
OWNER = {"email": f"{PREFIX}-owner@example.com", "password": PASSWORD, "full_name": "Workload Owner"}
#: A user the platform admin makes an owner of the public team, who adds a member to it and is then deleted.
INVITER = {"email": f"{PREFIX}-inviter@example.com", "password": PASSWORD, "full_name": "Workload Inviter"}
#: The member the inviter adds: their membership names the inviter (``invited_by``) until the inviter goes.
MEMBER = {"email": f"{PREFIX}-member@example.com", "password": PASSWORD, "full_name": "Workload Member"}
#: An SSO provider whose URLs go nowhere: starting a sign-in with it only leaves a session naming it.
SSO_PROVIDER = {
    "id": f"{PREFIX}-sso",
    "name": f"{PREFIX}-sso",
    "display_name": "Workload SSO",
    "provider_type": "oidc",
    "client_id": f"{PREFIX}-client",
    "client_secret": f"{PREFIX}-client-secret",
    "authorization_url": "http://127.0.0.1:9/authorize",
    "token_url": "http://127.0.0.1:9/token",
    "userinfo_url": "http://127.0.0.1:9/userinfo",
    "issuer": "http://127.0.0.1:9",
}
#: What the workload needs the gateway to have on beside its defaults: single sign-on (its provider API and sign-in
#: answer 404 without it), so a provider and a started sign-in can be made and met by a deletion; and any endpoint
#: allowed for a generated UAID. 1.1.0 refuses every one with an empty allowlist (its secure default) and refuses to
#: start with a loopback address in the list ("Use public DNS names only"), and the workload's agents are on the
#: loopback: without the development bypass it never meets the unique index on ``a2a_agents(uaid)``.
ENVIRONMENT = {"SSO_ENABLED": "true", "UAID_ALLOW_ALL_DOMAINS": "true"}
#: Where a team's API tokens are made (its id in it).
TEAM_TOKENS = "/tokens/teams/{}"
#: Where the platform admin puts objects before the owner is deleted.
PERSONAL_TEAM = "the owner's personal team"
#: What a deleted person or team may leave behind, by what names it: ``traces`` gives these with their values.
PERSON, TEAM, PROVIDER = "person", "team", "SSO provider"
#: The kinds whose read answers an object's team (a resource's and a prompt's answer their content and rendering):
#: those the platform admin puts in the owner's personal team are read back after the owner's deletion.
SHOW_THEIR_TEAM = ("tools", "servers", "gateways", "a2a")


class People(Asker):
    """The operations on people; ``Workload`` calls them in its script's order."""

    def _people_and_tokens(self) -> None:
        """A user in the public team, an invitation, and API tokens of a user, a server and a team: the rows whose
        foreign keys to users, teams and servers a deletion later meets."""
        self._post("create a user", "user", "/auth/email/admin/users", USER, keep=_email)
        member = {"email": USER["email"], "role": "member"}
        self._post("add the user to the public team", "member", self._in_team("team_b", "/teams/{}/members"), member)
        invitee = {"email": f"{PREFIX}-invitee@example.com", "role": "member"}
        self._post(
            "invite an address to the public team",
            "invitation",
            self._in_team("team_b", "/teams/{}/invitations"),
            invitee,
        )
        self._log_in("log in as the user", "user_session", USER)
        self._token("the user creates an API token", "user_token", "user", bearer="user_session")
        self._get_as("the user's API token lists the tools", "/tools", "user_token")
        scope = {"server_id": self.ids.get("server")}
        self._token("create an API token scoped to the server", "token_server", "server", scope=scope)
        self._token(
            "create an API token of the public team", "token_team", "team", self._in_team("team_b", TEAM_TOKENS)
        )

    def _roles(self) -> None:
        """A role, a second one inheriting it, assigned to the user, and a tool the user makes in their personal
        team: the rows whose foreign keys to roles and to the user's personal team the deletions later meet."""
        role: dict[str, Any] = {"description": "workload", "scope": "global"}
        self._post(
            "create a role", "role", "/rbac/roles", {"name": f"{PREFIX}-role", **role, "permissions": ["tools.read"]}
        )
        child = {"name": f"{PREFIX}-role-child", **role, "permissions": [], "inherits_from": self.ids.get("role")}
        self._post("create a role inheriting it", "role_child", "/rbac/roles", child)
        self._assign("assign the inheriting role to the user", "assignment", "role_child")
        tool = {"url": "http://127.0.0.1:9/wl-user", "integration_type": "REST", "request_type": "GET"}
        self._post(
            "the user creates a private tool",
            "user_tool",
            KINDS["tools"].path,
            {"tool": {"name": f"{PREFIX}_user_tool", **tool, "visibility": "private"}},
            bearer="user_session",
        )

    def _second_administrator(self) -> None:
        """An administrator who makes a role and grants it, makes a team and invites to it, and makes and revokes an
        API token: each row names them in a ``*_by`` column their deletion meets; their team, which only they are in,
        goes with them, and with it the invitation."""
        self._post("create a second administrator", "admin", "/auth/email/admin/users", ADMIN, keep=_email)
        self._log_in("log in as the second administrator", "admin_session", ADMIN)
        by_admin = {"description": "by the second administrator", "scope": "global", "permissions": ["tools.read"]}
        self._post(
            "the second administrator creates a role",
            "admin_role",
            "/rbac/roles",
            {"name": f"{PREFIX}-admin-role", **by_admin},
            bearer="admin_session",
        )
        self._assign("the second administrator assigns it to the user", "admin_grant", "admin_role", "admin_session")
        self._post(
            "the second administrator creates a team",
            "admin_team",
            KINDS["teams"].path,
            {"name": f"{PREFIX}-admin-team", "visibility": "public"},
            bearer="admin_session",
        )
        self._post(
            "the second administrator invites an address to their team",
            "admin_invitation",
            self._in_team("admin_team", "/teams/{}/invitations"),
            {"email": f"{PREFIX}-admin-invitee@example.com", "role": "member"},
            bearer="admin_session",
        )
        self._token("the second administrator creates an API token", "admin_token", "admin", bearer="admin_session")
        self._call("the second administrator revokes it", "DELETE", "tokens", "admin_token", bearer="admin_session")

    def _personal_team(self, gateway: dict[str, str]) -> None:
        """An owner, their personal team found as they see it, the platform admin's objects shared with it (a
        federated ``gateway`` among them), and a token the owner makes for it."""
        users = "/auth/email/admin/users"
        self._post("create a user who owns only a personal team", "owner", users, OWNER, keep=_email)
        self._log_in("log in as the owner", "owner_session", OWNER)
        self._look_up("the owner lists their teams", "owner_team", "/teams/", _personal, bearer="owner_session")
        shared = {"team_id": self.ids.get("owner_team"), "visibility": "team"}
        tool = {"url": "http://127.0.0.1:9/wl-owner", "integration_type": "REST", "request_type": "GET"}
        for kind, fields in (
            ("tools", {"name": f"{PREFIX}_owner_tool", **tool}),
            ("resources", {"uri": f"{PREFIX}://owner", "name": f"{PREFIX}-owner-doc", "content": "owner"}),
            ("prompts", {"name": f"{PREFIX}_owner_prompt", "template": "Hi", "arguments": []}),
            ("servers", {"name": f"{PREFIX}-owner-server"}),
            ("gateways", {"name": f"{PREFIX}-owner-gateway", **gateway, "url": f"{gateway['url']}?team=owner"}),
        ):
            self._create(f"create {kind[:-1]} in {PERSONAL_TEAM}", f"owner_{kind}", kind, {**fields, **shared})
        agent = {"name": f"{PREFIX}-owner-agent", "endpoint_url": "http://127.0.0.1:9/wl-owner-agent"}
        self._post(f"register an A2A agent in {PERSONAL_TEAM}", "owner_a2a", "/a2a", {"agent": agent, **shared})
        self._token(
            "the owner creates an API token of their personal team",
            "owner_token",
            "owner",
            self._in_team("owner_team", TEAM_TOKENS),
            bearer="owner_session",
        )

    def _join_requests(self) -> None:
        """The owner asks to join the administrator's (public) team and is turned down by them, the user asks too and
        is left waiting: rows naming a requester, a reviewer and a team their deletions meet."""
        path = self._in_team("admin_team", "/teams/{}/join")
        asked = {"message": "workload"}
        self._post("the owner asks to join the administrator's team", "owner_join", path, asked, bearer="owner_session")
        if "admin_team" in self.ids and "owner_join" in self.ids:
            self.ids["owner_join_request"] = f"{self.ids['admin_team']}/join-requests/{self.ids['owner_join']}"
        self._call(
            "the second administrator turns the owner down",
            "DELETE",
            "teams",
            "owner_join_request",
            bearer="admin_session",
        )
        self._post("the user asks to join the administrator's team", "user_join", path, asked, bearer="user_session")

    def _inviter(self) -> None:
        """A co-owner of the public team adds a member to it and is deleted: the membership names them as its
        inviter, a reference a deletion must clear or be refused by. Its own person, since the others' deletions
        are probes of their own that a membership in someone else's team would change."""
        users, members = "/auth/email/admin/users", self._in_team("team_b", "/teams/{}/members")
        self._post("create a user who co-owns the public team", "inviter", users, INVITER, keep=_email)
        owner = {"email": INVITER["email"], "role": "owner"}
        self._post("make them an owner of the public team", "inviter_owner", members, owner)
        self._log_in("log in as the co-owner", "inviter_session", INVITER)
        self._post("create a user the co-owner adds to the team", "member_user", users, MEMBER, keep=_email)
        added = {"email": MEMBER["email"], "role": "member"}
        self._post("the co-owner adds them to the public team", "added", members, added, bearer="inviter_session")
        self._call("delete the co-owner who added a member", "DELETE", "auth/email/admin/users", "inviter")

    def _single_sign_on(self) -> None:
        """An SSO provider a sign-in was started with (its session names the provider, as one abandoned at the
        provider's page does), then deleted by the platform admin."""
        self._post("create an SSO provider", "sso_provider", "/auth/sso/admin/providers", SSO_PROVIDER)
        self._look_up(
            "start signing in with the SSO provider",
            "sso_state",
            f"/auth/sso/login/{SSO_PROVIDER['id']}?redirect_uri=/admin",
            lambda answered: str(answered["state"]),
        )
        self._call(
            "delete the SSO provider a sign-in was started with",
            "DELETE",
            "auth/sso/admin/providers",
            "sso_provider",
        )
        self._read_back("the SSO provider after its deletion", "auth/sso/admin/providers", "sso_provider", "is_enabled")

    def _deletions_of_people(self) -> None:
        """The administrator and the owner deleted and what they made read back; the member removed, the user
        deleted, the team deleted, and what their tokens answer afterwards."""
        self._call("delete the second administrator", "DELETE", "auth/email/admin/users", "admin")
        self._rows_naming("rows naming the administrator's deleted team right after", TEAM, "admin_team")
        self._read_back("the role the deleted administrator made", "rbac/roles", "admin_role", "created_by")
        self._read_back("the team the deleted administrator made", "teams", "admin_team", "created_by")
        self._call("delete the owner, and with them their personal team", "DELETE", "auth/email/admin/users", "owner")
        for kind in SHOW_THEIR_TEAM:
            self._read_back(f"the {kind} shared with the deleted personal team", kind, f"owner_{kind}", "team_id")
        self._read_back("the token of the deleted personal team", "tokens", "owner_token", "team_id")
        if "user" in self.ids and "team_b" in self.ids:
            self.ids["team_b_member"] = f"{self.ids['team_b']}/members/{self.ids['user']}"
        self._call("delete the inherited role", "DELETE", "rbac/roles", "role")
        self._read_back(
            "the inheriting role after the role it inherits was deleted", "rbac/roles", "role_child", "inherits_from"
        )
        self._read_back_list("the user's roles after the inherited role was deleted", "user", "/rbac/users/{}/roles")
        self._call("remove the user from the public team", "DELETE", "teams", "team_b_member")
        self._call("delete the user", "DELETE", "auth/email/admin/users", "user")
        self._get_as("the deleted user's API token lists the tools", "/tools", "user_token")
        self._call(
            "delete the public team, holding servers, gateways, an agent, a token and an invitation",
            "DELETE",
            "teams",
            "team_b",
        )
        self._read_back("the team's token after its team was deleted", "tokens", "token_team", "team_id")

    def traces(self) -> dict[str, tuple[str, str]]:
        """What the deletions removed, for the database to be searched for what still names it: a label, and what
        names it (``PERSON``, ``TEAM`` or ``PROVIDER``) with its value. What was never made is left out."""
        found = {
            "the deleted user": (PERSON, str(USER["email"])),
            "the deleted administrator": (PERSON, str(ADMIN["email"])),
            "the deleted owner": (PERSON, str(OWNER["email"])),
            "the deleted co-owner": (PERSON, str(INVITER["email"])),
        }
        for key, label, named in (
            ("owner_team", "the owner's deleted personal team", TEAM),
            ("admin_team", "the administrator's deleted team", TEAM),
            ("sso_provider", "the deleted SSO provider", PROVIDER),
        ):
            if key in self.ids:
                found[label] = (named, self.ids[key])
        return found

    def _token(
        self,
        operation: str,
        key: str,
        name: str,
        path: str | None = "/tokens",
        bearer: str | None = None,
        scope: dict[str, Any] | None = None,
    ) -> None:
        """An API token ``<PREFIX>-<name>-token`` made at ``path`` (a user's, or a team's), valid 30 days, by the
        admin or the bearer of ``bearer``; its id and the token itself kept as ``key``."""
        body: dict[str, Any] = {"name": f"{PREFIX}-{name}-token", "expires_in_days": 30}
        if scope is not None:
            body["scope"] = scope
        self._post(operation, key, path, body, keep=self._secret(key), bearer=bearer)

    def _log_in(self, operation: str, key: str, person: dict[str, Any]) -> None:
        login = {"email": person["email"], "password": person["password"]}
        self._post(operation, key, "/auth/email/login", login, keep=self._secret(key))

    def _assign(self, operation: str, key: str, role: str, bearer: str | None = None) -> None:
        """The role kept as ``role`` assigned to the workload's user, by the platform admin or ``bearer``."""
        path = None if "user" not in self.ids else f"/rbac/users/{self.ids['user']}/roles"
        self._post(operation, key, path, {"role_id": self.ids.get(role), "scope": "global"}, bearer=bearer)


def _email(body: dict[str, Any]) -> str:
    """A created user's key: their email (the admin API addresses users by it)."""
    return str(body["email"])


def _personal(body: Any) -> str:
    """The id of the one personal team in a team list (``{"teams": [...]}``)."""
    teams = body.get("teams", []) if isinstance(body, dict) else body
    personal = [team["id"] for team in teams if team.get("is_personal")]
    if len(personal) != 1:
        raise KeyError(f"{len(personal)} personal teams listed")
    return str(personal[0])
