@fault
Feature: Upgrades under database faults
  As an SRE on upgrade day
  I want an upgrade that the database interrupts to fail cleanly and to be finished by a retry
  So that a failover, a killed session, a long reader, a full disk or a read-only database costs time, never data

  Beyond the plan (its "no duplicate constraints or errors" and "database is in correct final state",
  under the database's faults rather than the operator's). The migration's own connection is ended
  by the server (`pg_terminate_backend` from a second session, on the pid the migration's connection
  reports: what a failover, an idle-in-transaction killer or a DBA does) right after the first
  statement of a revision that changes the database, one revision at a time, each on a fresh copy
  of the backup. The upgrade must stop at once with one error that says the connection was ended,
  leave the old release's schema (PostgreSQL runs the whole upgrade in one transaction), and the
  operator's retry (`alembic upgrade head` again) must end like an upgrade nobody interrupted. The
  same, once, for the whole server stopped at once (`pg_ctl stop -m immediate`, as a power cut does)
  inside the middle revision that changes the data, then started again (it replays its log).

  A long reader (a report, a forgotten session) holds every table while the new release migrates beside
  the old one serving: the migration must wait for it and finish once it lets go, and the old release's
  reads must go on meanwhile (none failed, no session queued behind the migration's pending lock; how
  slow they were is in the evidence). Whether the migration gives up by itself (a lock_timeout) is too.

  A SQLite database on a filesystem of its own only 64 KiB bigger than itself fills while a revision
  rewrites a table: the migration must stop with SQLite's "database or disk is full", and once the disk
  has room the operator's retry must finish it.

  @terminated @postgres
  Scenario Outline: <to>'s upgrade whose database connection is ended inside any revision fails cleanly and can be retried (PostgreSQL)
    Given a running <from> gateway with data on PostgreSQL
    When <to>'s upgrade has its database connection ended inside each revision in turn and is retried
    Then each upgrade whose connection was ended failed cleanly
    And an interrupted upgrade left the database at <from>'s head every time
    And every retried upgrade ends like an uninterrupted one

    # Product defect: cut inside GA's revision 20a0e0538ac5, the upgrade fails with SQLAlchemy's
    # PendingRollbackError instead of the server's "terminating connection": the revision's index check
    # swallows the error. It still fails at once, leaves RC1's schema, and the retry works.
    @product-defect
    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    @current
    Examples: Today's releases to the newest
      | from | to     |
      | GA   | latest |

  @server-stopped @postgres
  Scenario Outline: The server stopped at once in the middle of <to>'s upgrade leaves <from>'s schema, and the upgrade can be retried (PostgreSQL)
    Given a running <from> gateway with data on PostgreSQL
    When the PostgreSQL server stops at once in the middle of <to>'s upgrade, starts again, and the upgrade is retried
    Then each upgrade whose connection was ended failed cleanly
    And an interrupted upgrade left the database at <from>'s head every time
    And every retried upgrade ends like an uninterrupted one

    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    @current
    Examples: Today's releases to the newest
      | from | to     |
      | GA   | latest |

  @read-only
  Scenario Outline: <to> started on a read-only <from> database fails cleanly, then upgrades it once writable (<database>)
    Given a running <from> gateway with data on <database>
    When <to> is started on the database while it is read-only
    Then <to> failed cleanly on the read-only database, leaving it at <from>'s head
    When the database is writable again and <to> is started again
    Then all existing data should be preserved
    And all services should continue functioning
    And the database has <to>'s complete schema at its Alembic head

    @sqlite
    Examples: SQLite
      | from | to | database |
      | RC1  | GA | SQLite   |

    @postgres
    Examples: PostgreSQL
      | from | to | database   |
      | RC1  | GA | PostgreSQL |

    # Product defect: GA's migrations to latest never create migration_metadata (upgrade.feature).
    @current @sqlite @product-defect
    Examples: Today's releases to the newest, SQLite
      | from | to     | database |
      | GA   | latest | SQLite   |

    @current @postgres @product-defect
    Examples: Today's releases to the newest, PostgreSQL
      | from | to     | database   |
      | GA   | latest | PostgreSQL |

  @topology @credentials @postgres
  Scenario Outline: <from> to <to> <procedure>, reached with a password that needs percent-encoding (PostgreSQL)
    Given a running <from> gateway with data on PostgreSQL, reached with a password that needs percent-encoding
    When I perform the upgrade to <to> <procedure>
    Then all existing data should be preserved
    And all services should continue functioning
    And the database has <to>'s complete schema at its Alembic head

    Examples: The plan's releases
      | from | to | procedure                          |
      | RC1  | GA | with Alembic before starting it    |
      | RC1  | GA | by starting it on the old database |

    # Product defect: GA's migrations to latest never create migration_metadata (upgrade.feature).
    @current @product-defect
    Examples: Today's releases to the newest
      | from | to     | procedure                          |
      | GA   | latest | with Alembic before starting it    |
      | GA   | latest | by starting it on the old database |

  @lock-wait @postgres
  Scenario Outline: <to>'s migration behind a long reader of <from>'s tables waits for it, and the old release's reads go on (PostgreSQL)
    Given a running <from> gateway with data on PostgreSQL
    When <to>'s migration runs while a long reader holds the tables the old release serves from
    Then the migration waited for the reader and finished once it let go
    And the old release's reads went on while the migration waited
    And all existing data should be preserved
    And the database has <to>'s complete schema at its Alembic head

    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    # Product defect: GA's migrations to latest never create migration_metadata (upgrade.feature).
    @current @product-defect
    Examples: Today's releases to the newest
      | from | to     |
      | GA   | latest |

  @disk-full @sqlite
  Scenario Outline: <to>'s migration on a filesystem that fills fails cleanly, and finishes once the disk has room (SQLite)
    Given a running <from> gateway with data on SQLite
    When <to>'s migration runs on a filesystem that fills
    Then the migration failed cleanly on the full disk
    When its filesystem is given room and <to>'s migration is run again
    Then the retried migration finished
    And all existing data should be preserved
    And all services should continue functioning
    And the database has <to>'s complete schema at its Alembic head

    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    # Product defect: GA's migrations to latest never create migration_metadata (upgrade.feature).
    @current @product-defect
    Examples: Today's releases to the newest
      | from | to     |
      | GA   | latest |

  @topology @two-deployments @postgres
  Scenario Outline: Two <from> deployments on one PostgreSQL server upgraded to <to> at the same moment do not wait for each other
    Given a running <from> gateway with data on PostgreSQL
    When this deployment and a second one on another database of the same server upgrade to <to> at once
    Then neither upgrade waited for the other, and both hold the same rows
    And all existing data should be preserved
    And all services should continue functioning

    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    @current
    Examples: Today's releases to the newest
      | from | to     |
      | GA   | latest |
