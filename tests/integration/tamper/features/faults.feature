Feature: Faults in the middle of a scenario

  Scenario: The new release's gateway dies after the upgrade
    Given a running RC1 gateway with data on SQLite
    When I perform the upgrade to GA by starting it on the old database
    And the running gateway is killed behind the suite's back
    Then all services should continue functioning
