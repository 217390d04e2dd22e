Feature: At scale the suite still detects a lost row

  Scenario: A bulk row the migration loses is named by the comparison in the database (PostgreSQL)
    Given a running RC1 gateway on a fully populated PostgreSQL database
    And the migration loses one tool_metrics row behind the suite's back
    When I perform the upgrade to GA with Alembic before starting it
    Then all existing data should be preserved
