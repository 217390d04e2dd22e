Feature: At scale the suite still detects a lost row

  Scenario: A bulk row deleted after the upgrade is named by the comparison in the database (PostgreSQL)
    Given a running RC1 gateway on a fully populated PostgreSQL database
    When I perform the upgrade to GA with Alembic before starting it
    And one tool_metrics row is deleted behind the suite's back
    Then all existing data should be preserved
