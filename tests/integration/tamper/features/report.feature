Feature: The report tells a product defect from a suite error

  @UPG-01 @sqlite
  Scenario: A check on the gateway fails
    Given a running RC1 gateway with data on SQLite
    When I perform the upgrade to GA with Alembic before starting it
    And one seeded tools row is deleted behind the suite's back
    Then all existing data should be preserved

  @UPG-01 @sqlite
  Scenario: A program the suite needs is missing
    Given a running RC1 gateway with data on SQLite
    And GA's installation has lost its alembic program behind the suite's back
    When I perform the upgrade to GA with Alembic before starting it
    Then all existing data should be preserved
