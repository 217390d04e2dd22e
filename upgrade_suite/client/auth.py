"""What a release's users hold (passwords, API tokens, JWTs, team roles), made and presented through its API.

``enrol`` gives a running old release what its users would have made with it: the admin's own
password (the release demands the bootstrap one be changed), a regular user with a password, a
team the user is a member of, two API tokens the user created (one revoked again) and the user's
login JWT. The credentials are kept (``Credentials``, in the seed manifest) so the same ones can be
presented to the upgraded release; ``observe`` presents them and records what any release
answers, so the checks compare what the old release answered with what the new one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from upgrade_suite.client.api import ApiError, GatewayApi

USER_EMAIL = "upgrade-user@example.com"
USER_PASSWORD = "Upgrade!User#2026x"
TEAM_NAME = "upgrade-auth-team"


@dataclass(frozen=True)
class Answer:
    """What a release said to one credential: the HTTP status and whose session it is (from /auth/email/me)."""

    status: int
    email: str | None = None
    is_admin: bool | None = None

    def render(self) -> str:
        return f"HTTP {self.status}" + (f" as {self.email} (is_admin={self.is_admin})" if self.email else "")


@dataclass(frozen=True)
class Credentials:
    """Everything the old release's users hold, as they held it when it stopped."""

    admin_email: str
    admin_password: str  # the one the admin set on the old release
    user_email: str
    user_password: str
    team_id: str
    bearer_tokens: dict[str, str]  # what each bearer credential is called -> the token itself
    revoked_token: str  # an API token the user revoked on the old release
    memberships: frozenset[tuple[str, str]]  # (email, role) in team_id, as the old release listed them
    user_roles: frozenset[tuple[str, str, str]]  # (role id, scope, scope id) of the user's RBAC roles

    def holder(self, credential: str) -> str:
        """Whose session a bearer credential must open."""
        return self.admin_email if credential.startswith("admin") else self.user_email


@dataclass(frozen=True)
class AuthObservation:
    """What one release answered when the credentials were presented to it."""

    logins: dict[str, Answer]  # "admin", "user": password login, then /auth/email/me with its token
    bearers: dict[str, Answer]  # each bearer credential on /auth/email/me
    revoked: dict[str, int]  # the revoked token on a few endpoints -> HTTP status
    memberships: frozenset[tuple[str, str]]
    user_roles: frozenset[tuple[str, str, str]]
    notes: list[str] = field(default_factory=list)  # calls that failed on the way, for the report

    def render(self) -> dict[str, object]:
        return {
            "logins": {name: answer.render() for name, answer in self.logins.items()},
            "bearer credentials": {name: answer.render() for name, answer in self.bearers.items()},
            "revoked token": self.revoked,
            "memberships": sorted(self.memberships),
            "user roles": sorted(self.user_roles),
            "notes": self.notes,
        }


def login(api: GatewayApi, email: str, password: str) -> tuple[int, str | None, bool]:
    """Password login; (status, access token, whether the release demands a password change first)."""
    response = api.response("POST", "/auth/email/login", json={"email": email, "password": password})
    token = response.json().get("access_token") if response.status_code == 200 else None
    return response.status_code, token, response.headers.get("X-Password-Change-Required") == "true"


def whoami(api: GatewayApi, token: str | None) -> Answer:
    """Present a bearer token to /auth/email/me: the status, and whose session it opened."""
    if token is None:
        return Answer(0)
    with api.bearer(token) as bearer:
        response = bearer.response("GET", "/auth/email/me")
    body = response.json() if response.status_code == 200 else {}
    return Answer(response.status_code, body.get("email"), body.get("is_admin"))


def enrol(
    api: GatewayApi, admin_email: str, bootstrap_password: str, minted_admin_jwt: str
) -> tuple[Credentials, AuthObservation]:
    """Make, through the running (old) release's API as its admin, what its users hold; every call must succeed.

    ``minted_admin_jwt`` is the admin JWT the release's own ``create_jwt_token`` made with the
    shared secret (the one ``api`` calls with): it is kept as a credential too. Returns the
    credentials and what the old release answered to them (the memberships and roles it listed
    become what the new release must still list).
    """
    admin_password = _own_admin_password(api, admin_email, bootstrap_password)
    api.request(
        "POST",
        "/auth/email/admin/users",
        json={"email": USER_EMAIL, "password": USER_PASSWORD, "full_name": "Upgrade User", "is_admin": False},
    )
    with api.bearer(None) as anonymous:
        status, session, _ = login(anonymous, USER_EMAIL, USER_PASSWORD)
    if session is None:
        raise ApiError(f"the new user {USER_EMAIL} cannot log in (HTTP {status})")
    team = api.create("teams", {"name": TEAM_NAME, "description": "auth continuity", "visibility": "private"})
    api.request("POST", f"/teams/{team['id']}/members", json={"email": USER_EMAIL, "role": "member"})
    with api.bearer(session) as user:
        kept = user.request(
            "POST",
            "/tokens",
            json={"name": "upgrade-kept", "description": "made before the upgrade", "expires_in_days": 30},
        )
        revoked = user.request(
            "POST",
            "/tokens",
            json={"name": "upgrade-revoked", "description": "revoked before the upgrade", "expires_in_days": 30},
        )
        user.request("DELETE", f"/tokens/{revoked['token']['id']}")
    partial = Credentials(
        admin_email,
        admin_password,
        USER_EMAIL,
        USER_PASSWORD,
        str(team["id"]),
        {
            "admin JWT made by the release's token tool": minted_admin_jwt,
            "user's login JWT": session,
            "user's API token": kept["access_token"],
        },
        revoked["access_token"],
        frozenset(),
        frozenset(),
    )
    seen = observe(api, partial)
    return replace(partial, memberships=seen.memberships, user_roles=seen.user_roles), seen


def _own_admin_password(api: GatewayApi, email: str, bootstrap_password: str) -> str:
    """The admin's password as the admin left it: changed first if the release demands it."""
    with api.bearer(None) as anonymous:
        status, token, change_required = login(anonymous, email, bootstrap_password)
    if token is not None:
        return bootstrap_password
    if not change_required:
        raise ApiError(f"the admin cannot log in with the bootstrap password (HTTP {status})")
    changed = f"{bootstrap_password}!Own"
    api.request(
        "POST", "/auth/email/change-password", json={"old_password": bootstrap_password, "new_password": changed}
    )
    return changed


def observe(api: GatewayApi, held: Credentials) -> AuthObservation:
    """Present every credential to the running release and record its answers (nothing is judged here)."""
    notes: list[str] = []
    logins: dict[str, Answer] = {}
    user_session: str | None = None
    for who, email, password in (
        ("admin", held.admin_email, held.admin_password),
        ("user", held.user_email, held.user_password),
    ):
        with api.bearer(None) as anonymous:
            status, token, change_required = login(anonymous, email, password)
        answer = whoami(api, token)
        logins[who] = Answer(status, answer.email, answer.is_admin) if token else Answer(status)
        if change_required:
            notes.append(f"{who} login: the release demands a password change")
        if who == "user":
            user_session = token
    bearers = {name: whoami(api, token) for name, token in held.bearer_tokens.items()}
    revoked = {"GET /auth/email/me": whoami(api, held.revoked_token).status}
    with api.bearer(held.revoked_token) as bearer:
        revoked["GET /tools"] = bearer.response("GET", "/tools").status_code
    memberships: frozenset[tuple[str, str]] = frozenset()
    try:
        members: Any = api.request("GET", f"/teams/{held.team_id}/members")  # JSON: a list, or a page of one
        members = members.get("members", members.get("items", [])) if isinstance(members, dict) else members
        memberships = frozenset((m["user_email"], m["role"]) for m in members if m.get("is_active", True))
    except ApiError as error:
        notes.append(f"team members: {error}")
    roles: frozenset[tuple[str, str, str]] = frozenset()
    if user_session is None:
        notes.append("user roles: not read (the user could not log in)")
    else:
        with api.bearer(user_session) as user:
            try:
                roles = frozenset(
                    (r["role_id"], r["scope"], r.get("scope_id") or "")
                    for r in user.request("GET", "/rbac/my/roles")
                    if r.get("is_active", True)
                )
            except ApiError as error:
                notes.append(f"user roles: {error}")
    return AuthObservation(logins, bearers, revoked, memberships, roles, notes)
