"""Auth continuity checks: each passes on what a release should answer and names what it must not."""

from dataclasses import replace

from upgrade_suite.client.auth import Answer, AuthObservation, Credentials
from upgrade_suite.judging.hazard_checks import (
    credentials_authenticate,
    memberships_and_roles_kept,
    passwords_sign_in,
    revoked_stays_refused,
)

ADMIN, USER, TEAM = "admin@example.com", "user@example.com", "team1"
HELD = Credentials(
    ADMIN,
    "admin-pw",
    USER,
    "user-pw",
    TEAM,
    {"admin JWT made by the release's token tool": "a.b.c", "user's login JWT": "d.e.f", "user's API token": "g.h.i"},
    "revoked.j.k",
    frozenset({(ADMIN, "owner"), (USER, "member")}),
    frozenset({("r1", "global", ""), ("r2", "team", TEAM)}),
)
GOOD = AuthObservation(
    logins={"admin": Answer(200, ADMIN, True), "user": Answer(200, USER, False)},
    bearers={
        "admin JWT made by the release's token tool": Answer(200, ADMIN, True),
        "user's login JWT": Answer(200, USER, False),
        "user's API token": Answer(200, USER, False),
    },
    revoked={"GET /auth/email/me": 401, "GET /tools": 401},
    memberships=HELD.memberships,
    user_roles=HELD.user_roles | {("r3", "global", "")},
)


def test_what_a_release_should_answer_passes():
    for result in (
        passwords_sign_in(HELD, GOOD),
        credentials_authenticate(HELD, GOOD),
        revoked_stays_refused(GOOD),
        memberships_and_roles_kept(HELD, GOOD),
    ):
        assert result.ok, result.render()
    assert "added since: [('r3', 'global', '')]" in memberships_and_roles_kept(HELD, GOOD).render()


def test_a_password_that_no_longer_works_is_named():
    seen = replace(GOOD, logins={**GOOD.logins, "admin": Answer(401)})
    assert passwords_sign_in(HELD, seen).problems() == [
        f"admin {ADMIN} logs in with the password set before: HTTP 401; expected HTTP 200 as {ADMIN} (is_admin=True)"
    ]


def test_a_login_that_opens_someone_else_s_session_fails():
    seen = replace(GOOD, logins={**GOOD.logins, "user": Answer(200, USER, True)})
    assert not passwords_sign_in(HELD, seen).ok


def test_a_token_no_longer_accepted_is_named():
    seen = replace(GOOD, bearers={**GOOD.bearers, "user's API token": Answer(401)})
    assert credentials_authenticate(HELD, seen).problems() == [f"user's API token opens {USER}'s session: HTTP 401"]


def test_a_revoked_token_served_again_fails():
    seen = replace(GOOD, revoked={"GET /auth/email/me": 200, "GET /tools": 401})
    assert revoked_stays_refused(seen).problems() == ["GET /auth/email/me refuses it: HTTP 200"]


def test_nothing_presented_is_not_a_pass():
    assert not revoked_stays_refused(replace(GOOD, revoked={})).ok
    assert not credentials_authenticate(replace(HELD, bearer_tokens={}), GOOD).ok


def test_a_lost_membership_a_changed_role_and_a_lost_rbac_role_are_named():
    seen = replace(GOOD, memberships=frozenset({(ADMIN, "member")}), user_roles=frozenset({("r1", "global", "")}))
    problems = memberships_and_roles_kept(HELD, seen).problems()
    assert any(
        "lost or changed: [('admin@example.com', 'owner'), ('user@example.com', 'member')]" in p for p in problems
    ), problems
    assert any("lost: [('r2', 'team', 'team1')]" in p for p in problems), problems


def test_a_read_that_failed_is_not_taken_for_an_empty_answer():
    seen = replace(GOOD, notes=["team members: GET /teams/team1/members answered 500"])
    assert memberships_and_roles_kept(HELD, seen).problems() == [
        "every read succeeded: team members: GET /teams/team1/members answered 500"
    ]
