@matrix
Feature: Upgrade compatibility matrix
  As an operator running release X on SQLite or PostgreSQL
  I want to know whether X goes straight to the newest release, needs a stop on the way, and can come back
  So that I plan the upgrade from evidence, not hope

  The rows are not written here: every release PyPI lists from -D matrix_from= (0.9.0) to
  -D matrix_to= (latest), pre- and post-releases included and yanked ones left out, is planned at
  run time (upgrade_suite/matrix/plan.py) and each cell becomes one row of the tables below (their
  headings only are written; upgrade_suite/matrix/scenarios.py fills them). direct: X -> the newest; hop: X
  -> the release after it; back: the newest rolled back to X by its own Alembic downgrade. A cell
  whose releases, database and suite code did not change since its last verdict is reused (rerun
  all with -D matrix_fresh=true); -D shard=I/N runs one Nth of the cells.

  A cell asks whether the upgrade works, not whether <to> adds something: a patch release with no
  migration (1.0.9 -> 1.0.10) is a good hop. So where UPG-01 says "new features should be available"
  (and fails a pair with nothing new), a cell checks that the database holds every table and column of
  <to>'s models at <to>'s Alembic head, and beside a fresh <to> install.

  Scenario Outline: <kind>: <from> to <to> with Alembic keeps every object (<database>)
    Given a running <from> gateway with data on <database>
    When I perform the upgrade to <to> with Alembic before starting it
    Then all existing data should be preserved
    And the pre-upgrade backup holds every <from> object
    And all services should continue functioning
    And the database has <to>'s complete schema at its Alembic head
    And the schema matches a fresh <to> install apart from its declared drift

    @sqlite
    Examples: SQLite
      | kind | from | to | database |

    @postgres
    Examples: PostgreSQL
      | kind | from | to | database |

  @back
  Scenario Outline: <kind>: <to> rolls back to <from> with Alembic downgrade (<database>)
    Given <to> can downgrade to the Alembic head of <from>
    And a running <from> gateway with data on <database>
    And it has been upgraded to <to> with Alembic before starting it
    And objects have been created on <to>
    When I roll back to <from> with Alembic downgrade
    Then <from> serves again at its own Alembic head
    And the objects created on <to> are kept
    And all existing data should be preserved

    @sqlite
    Examples: SQLite
      | kind | from | to | database |

    @postgres
    Examples: PostgreSQL
      | kind | from | to | database |
