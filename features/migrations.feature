@migrations
Feature: Database migrations
  As a database administrator
  I want Alembic migrations to be idempotent
  So that I can safely retry failed migrations

  "Partially applied" is made exact: the new release's `alembic upgrade head` kills itself
  (SIGKILL) at a given point of a given revision, instead of the plan's `timeout 2`: as the
  revision starts (between revisions), or inside it, right after its first statement that changes
  the database. A correct state is the state an uninterrupted upgrade of the same data reaches:
  the new release's head, the same schema, every pre-existing row the same, the same row counts.

  @US-2 @UPG-07 @idempotent
  Scenario Outline: Idempotent migration from <from> to <to> (<database>)
    Given a migration from <from> to <to> that was partially applied on <database>
    When I run the migration again
    Then it should complete without errors
    And the database should be in correct state

    @sqlite
    Examples: SQLite
      | from | to | database |
      | RC1  | GA | SQLite   |

    @postgres
    Examples: PostgreSQL
      | from | to | database   |
      | RC1  | GA | PostgreSQL |

    @current @sqlite
    Examples: Today's releases to the newest, SQLite
      | from  | to     | database |
      | GA    | latest | SQLite   |
      | 1.0.x | latest | SQLite   |

    @current @postgres
    Examples: Today's releases to the newest, PostgreSQL
      | from  | to     | database   |
      | GA    | latest | PostgreSQL |
      | 1.0.x | latest | PostgreSQL |

  @UPG-07 @idempotent @sqlite
  Scenario Outline: An upgrade from <from> to <to> interrupted between any two revisions can be retried (SQLite)
    Given a running <from> gateway with data on SQLite
    When <to>'s upgrade is interrupted at the start of each revision in turn and retried
    Then every retried upgrade ends like an uninterrupted one

    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    @current
    Examples: Today's releases to the newest
      | from  | to     |
      | GA    | latest |
      | 1.0.x | latest |

  # Product defect: on SQLite each statement of a revision is committed as it runs, so a revision
  # killed after its first change is half applied; GA's migrations then skip what they find already
  # there and the retry "succeeds" without the rest. Killed inside 6 of GA's 25 revisions, the
  # retried database lacks indexes a clean upgrade has, one of them unique: a2a_agents(uaid)
  # (d2b501bf4262), tool_plugin_bindings(team_id) (592625561893), a2a_tasks, a2a_task_events and
  # a2a_push_notification_configs (a2a_agent_id), token_revocations(token_expiry).
  # Today's pair is worse: killed inside 1.1.0's revision 5e211ec89cad (the batch rebuild of
  # email_users), a 1.0.9 database cannot be upgraded again at all: the retry fails with "table
  # _alembic_tmp_email_users already exists" and stays at 1.0.9's head, until someone drops the
  # leftover table by hand. From GA, 5 of 1.1.0's revisions retry wrongly or not at all.
  @UPG-07 @idempotent @sqlite @product-defect
  Scenario Outline: An upgrade from <from> to <to> interrupted inside any revision can be retried (SQLite)
    Given a running <from> gateway with data on SQLite
    When <to>'s upgrade is interrupted inside each revision in turn and retried
    Then every retried upgrade ends like an uninterrupted one

    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    @current
    Examples: Today's releases to the newest
      | from  | to     |
      | GA    | latest |
      | 1.0.x | latest |

  @UPG-07 @idempotent @postgres
  Scenario Outline: An upgrade from <from> to <to> interrupted inside any revision leaves the old schema and can be retried (PostgreSQL)
    Given a running <from> gateway with data on PostgreSQL
    When <to>'s upgrade is interrupted inside each revision in turn and retried
    Then an interrupted upgrade left the database at <from>'s head every time
    And every retried upgrade ends like an uninterrupted one

    Examples: The plan's releases
      | from | to |
      | RC1  | GA |

    @current
    Examples: Today's releases to the newest
      | from  | to     |
      | GA    | latest |
      | 1.0.x | latest |

  @UPG-07 @idempotent
  Scenario Outline: Upgrading an up-to-date <to> database changes nothing (<database>)
    Given a running <from> gateway with data on <database>
    And it has been upgraded to <to> with Alembic before starting it
    When I run the migration again
    Then nothing changes

    @sqlite
    Examples: SQLite
      | from | to | database |
      | RC1  | GA | SQLite   |

    @postgres
    Examples: PostgreSQL
      | from | to | database   |
      | RC1  | GA | PostgreSQL |

    @current @sqlite
    Examples: The newest release, SQLite
      | from  | to     | database |
      | 1.0.x | latest | SQLite   |

    @current @postgres
    Examples: The newest release, PostgreSQL
      | from  | to     | database   |
      | 1.0.x | latest | PostgreSQL |

  @revision-walk
  Scenario Outline: Every revision from <from> to <to> goes up and down one at a time, with data (<database>)
    Given a running <from> gateway with data on <database>
    When I walk <to>'s migrations up and down one revision at a time
    Then every step of the walk succeeds

    @sqlite
    Examples: SQLite
      | from | to | database |
      | RC1  | GA | SQLite   |

    @postgres
    Examples: PostgreSQL
      | from | to | database   |
      | RC1  | GA | PostgreSQL |

    @current @sqlite
    Examples: Today's releases to the newest, SQLite
      | from  | to     | database |
      | GA    | latest | SQLite   |
      | 1.0.x | latest | SQLite   |

    @current @postgres
    Examples: Today's releases to the newest, PostgreSQL
      | from  | to     | database   |
      | GA    | latest | PostgreSQL |
      | 1.0.x | latest | PostgreSQL |
