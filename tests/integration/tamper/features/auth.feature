Feature: The suite detects credentials an upgrade brought back or took away

  Scenario: A revoked token that works again is named
    Given a running RC1 gateway whose users hold passwords, API tokens and team roles on SQLite
    When the token revoked on the old release is un-revoked behind the suite's back
    And I perform the upgrade to GA with Alembic before starting it
    Then the token revoked on RC1 is still refused

  Scenario: A lost team membership is named
    Given a running RC1 gateway whose users hold passwords, API tokens and team roles on SQLite
    When the user's team membership is deleted behind the suite's back
    And I perform the upgrade to GA with Alembic before starting it
    Then team memberships and roles are unchanged
