Feature: A difference only the release's own operation shows
  The consequence probe must see what no schema comparison of tables and keys names: a trigger.

  @sqlite
  Scenario: Tools a trigger keeps make deleting a federated gateway end otherwise than on a fresh install
    Given a running RC1 gateway with data on SQLite
    When I perform the upgrade to GA with Alembic before starting it
    And a trigger keeps the tools of a deleted gateway behind the suite's back
    Then deleting a federated gateway ends as on a fresh GA install holding the same objects
