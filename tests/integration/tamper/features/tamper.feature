Feature: The suite detects data an upgrade lost or changed

  Scenario: A row deleted after the upgrade is named
    Given a running RC1 gateway with data on SQLite
    When I perform the upgrade to GA with Alembic before starting it
    And one seeded tools row is deleted behind the suite's back
    Then all existing data should be preserved

  Scenario: A value altered after the upgrade is named
    Given a running RC1 gateway with data on SQLite
    When I perform the upgrade to GA with Alembic before starting it
    And one seeded prompts row is altered behind the suite's back
    Then all existing data should be preserved

  Scenario: A chain that cannot apply is named by the revision walk
    Given a running RC1 gateway with data on SQLite
    When the database is stamped with an unknown revision behind the suite's back
    And I walk GA's migrations up and down one revision at a time
    Then every step of the walk succeeds
