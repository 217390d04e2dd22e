@upgrade
Feature: Version upgrade
  As an administrator
  I want to upgrade from RC1 to GA smoothly
  So that I can adopt new features without disruption

  RC1, GA and 0.9.x are the plan's release aliases (PyPI 1.0.0rc1, 1.0.0 and 0.9.0), 1.0.x is a
  1.0 maintenance release (1.0.9) and latest the newest release on PyPI, resolved when the run starts;
  each can be overridden with -D, e.g. -D ga=1.0.7. The @current examples answer "can we go to
  the newest release today?". Each release runs from its own virtualenv as a real
  gateway; the data is created through its API and judged through its API and its database.

  @US-1 @UPG-01 @populated
  Scenario Outline: <from> to <to> upgrade <procedure> keeps every object (<database>)
    Given a running <from> gateway with data on <database>
    When I perform the upgrade to <to> <procedure>
    Then all existing data should be preserved
    And the pre-upgrade backup holds every <from> object
    And all services should continue functioning
    And the new release starts within its budget
    And new features should be available
    And the schema matches a fresh <to> install apart from its declared drift

    # Product defect: every RC1 object and service comes through to GA, but GA's migrations leave a schema
    # that behaves differently from a fresh GA: a unique index on a2a_agents(uaid) GA's models do not declare,
    # a2a_agents.auth_value as JSON (SQLite) and 11 columns without GA's lengths (PostgreSQL). Each is a claim
    # of the schema triage until an operation probes it, and no baseline accepts one; declared exactly in
    # upgrade_suite/judging/declarations.py (signatures/consequences-1.0.0rc1-to-1.0.0-*.txt).
    @sqlite @product-defect
    Examples: SQLite
      | from | to | procedure                          | database |
      | RC1  | GA | with Alembic before starting it    | SQLite   |
      | RC1  | GA | by starting it on the old database | SQLite   |

    @postgres @product-defect
    Examples: PostgreSQL
      | from | to | procedure                          | database   |
      | RC1  | GA | with Alembic before starting it    | PostgreSQL |
      | RC1  | GA | by starting it on the old database | PostgreSQL |

    @current @sqlite
    Examples: Today's releases to the newest, SQLite
      | from  | to     | procedure                          | database |
      | 1.0.x | latest | with Alembic before starting it    | SQLite   |
      | 1.0.x | latest | by starting it on the old database | SQLite   |

    @current @postgres
    Examples: Today's releases to the newest, PostgreSQL
      | from  | to     | procedure                          | database   |
      | 1.0.x | latest | with Alembic before starting it    | PostgreSQL |
      | 1.0.x | latest | by starting it on the old database | PostgreSQL |

    # Product defect: GA's data and services come through to 1.1.0, but its migrations do not
    # create migration_metadata, a table of 1.1.0's models ("new features" names it; the schema
    # triage says it breaks), and of the 419 schema differences on SQLite 42 behave differently
    # (foreign keys and unique constraints 1.1.0's models declare only the upgraded database has,
    # NOT NULL and defaults on one side only); the rest are slower lookups or have no effect.
    # Declared in upgrade_suite/judging/declarations.py (SQLite: 1 + 17 problems; PostgreSQL: 1 + 28);
    # the pair's baselines accept, each probed by the workload, tools, prompts and resources(gateway_id) (1.1.0
    # deletes them itself), email_api_tokens(server_id) (1.1.0 empties the scope itself) and the unique names of
    # servers and gateways per team (1.1.0 refuses a second one itself, 409 on both), those of roles to roles
    # (1.1.0 deletes a role softly: nothing is left pointing at a deleted one), the foreign keys of a team's
    # invitations, members and tokens to it (1.1.0 deletes them with a team it deletes) and the *_by ones of roles,
    # grants, revocations, invitations and teams (1.1.0 hands them to another user before deleting one), that of a
    # membership's inviter (1.1.0 clears it) and those of a user's tokens, memberships and roles (1.1.0 deletes them
    # itself); on PostgreSQL also tags as JSON (listed by tag alike), the auth types of gateways and agents (1.1.0
    # checks them), slugs and tool names (1.1.0 keeps them short), 36-character ids and server_interfaces (never
    # written by 1.1.0). What stays red is in docs/findings.md, proven or with why it is not probed yet.
    @current @sqlite @product-defect
    Examples: GA to the newest, SQLite
      | from | to     | procedure                          | database |
      | GA   | latest | with Alembic before starting it    | SQLite   |
      | GA   | latest | by starting it on the old database | SQLite   |

    @current @postgres @product-defect
    Examples: GA to the newest, PostgreSQL
      | from | to     | procedure                          | database   |
      | GA   | latest | with Alembic before starting it    | PostgreSQL |
      | GA   | latest | by starting it on the old database | PostgreSQL |

  @UPG-03 @populated
  Scenario Outline: A fully populated <from> database upgrades to <to> with every row accounted for (<database>)
    Given a running <from> gateway on a fully populated <database> database
    When I perform the upgrade to <to> with Alembic before starting it
    Then all existing data should be preserved
    And every object can be found through the paginated API
    And all services should continue functioning

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

  @UPG-05 @skip-version @populated
  Scenario Outline: <from> to <to> directly keeps every object (<database>)
    Given a running <from> gateway with data on <database>
    When I perform the upgrade to <to> with Alembic before starting it
    Then all existing data should be preserved
    And all services should continue functioning
    And new features should be available
    And the schema matches a fresh <to> install apart from its declared drift

    # Product defect: the objects come through, but GA's migrations leave a team member's history without
    # GA's ON DELETE CASCADE (SQLite), JSONB for JSON (PostgreSQL) and RC1 -> GA's differences. The gateway_id
    # foreign keys of tools, prompts and resources, also without it, are accepted (probed: GA deletes them
    # itself); the rest are declared exactly in upgrade_suite/judging/declarations.py until probed.
    @sqlite @product-defect
    Examples: SQLite
      | from  | to | database |
      | 0.9.x | GA | SQLite   |

    @postgres @product-defect
    Examples: PostgreSQL
      | from  | to | database   |
      | 0.9.x | GA | PostgreSQL |

  @UPG-05 @skip-version @path-through
  Scenario Outline: <from> to <to> directly gives the same database as the way through <via> (<database>)
    Given a running <from> gateway with data on <database>
    When I perform the upgrade to <to> with Alembic before starting it
    Then the database matches the same data upgraded through <via>

    @sqlite
    Examples: SQLite
      | from  | to | via | database |
      | 0.9.x | GA | RC1 | SQLite   |

    # Product defect (PostgreSQL only): the chains disagree. Through RC1, a 0.9 prompt's original
    # name is replaced by its slug (original_name, custom_name and display_name become
    # upgrade-prompt-1); straight to GA, and on SQLite either way, it is kept (upgrade_prompt_1).
    # The check names the prompt rows and columns.
    @postgres @product-defect
    Examples: PostgreSQL
      | from  | to | via | database   |
      | 0.9.x | GA | RC1 | PostgreSQL |

  @UPG-02 @fresh
  Scenario Outline: Fresh <release> install works (<database>)
    Given an empty <database> database
    When a <release> gateway is started on it
    Then the database has <release>'s complete schema at its Alembic head
    And the administrator can sign in
    And every entity type can be created and read back

    @sqlite
    Examples: SQLite
      | release | database |
      | GA      | SQLite   |

    @postgres
    Examples: PostgreSQL
      | release | database   |
      | GA      | PostgreSQL |

    @current @sqlite
    Examples: The newest release, SQLite
      | release | database |
      | latest  | SQLite   |

    @current @postgres
    Examples: The newest release, PostgreSQL
      | release | database   |
      | latest  | PostgreSQL |

  @UPG-01 @schema-parity
  Scenario Outline: A <from> database upgraded to <to> has exactly <to>'s fresh schema (<database>)
    Given a running <from> gateway with data on <database>
    When I perform the upgrade to <to> with Alembic before starting it
    Then the schema matches a fresh <to> install exactly

    # Product defect: GA's own migrations do not produce GA's schema. An RC1 database migrated to GA
    # differs from a fresh GA install in column lengths, server defaults and five indexes (see the
    # baselines in upgrade_suite/judging/baselines/); a GA database migrated to 1.1.0 differs from a fresh
    # 1.1.0 in 419 details on SQLite. Red, and in the gate: each declared with its exact differences
    # in upgrade_suite/judging/declarations.py, so any other difference is a "new failure".
    @sqlite @product-defect
    Examples: SQLite
      | from | to     | database |
      | RC1  | GA     | SQLite   |

    @postgres @product-defect
    Examples: PostgreSQL
      | from | to     | database   |
      | RC1  | GA     | PostgreSQL |

    @current @sqlite @product-defect
    Examples: GA to the newest, SQLite
      | from | to     | database |
      | GA   | latest | SQLite   |

    @current @postgres @product-defect
    Examples: GA to the newest, PostgreSQL
      | from | to     | database   |
      | GA   | latest | PostgreSQL |

    @current @sqlite
    Examples: 1.0.x to the newest, SQLite
      | from  | to     | database |
      | 1.0.x | latest | SQLite   |

    @current @postgres
    Examples: 1.0.x to the newest, PostgreSQL
      | from  | to     | database   |
      | 1.0.x | latest | PostgreSQL |

  # What a schema difference does to a user, proven on the running release (beyond the plan's wording, UPG-01's
  # "all services functioning"): where the upgraded database's foreign keys of tools, prompts and resources to
  # gateways differ from a fresh install's ON DELETE, deleting a federated gateway is run through the API on a copy
  # of each, and what it answers and leaves behind is compared: the migrated one (its tools) and one the new release
  # registers with a tool, a prompt and a resource. Their outcomes are the probes the pair's baselines cite.
  # Tables no user operation reaches (an A2A agent's tasks, an identity provider's sign-ins, the session cache,
  # the audit trail, ToolOps) take, in SQL and rolled back, the writes their differences can change.
  @UPG-01 @consequence
  Scenario Outline: Deleting a federated gateway after <from> to <to> ends as on a fresh <to> install (<database>)
    Given a running <from> gateway with data on <database>
    When I perform the upgrade to <to> with Alembic before starting it
    Then deleting a federated gateway ends as on a fresh <to> install holding the same objects
    And the same user operations end as on a fresh <to> install holding the same objects
    And the tables no user operation reaches take the same writes as on a fresh <to> install

    # Product defect: GA's migrations create a unique index on a2a_agents(uaid) that GA's models do not
    # declare. Registering the same A2A agent with a generated UAID (its name and endpoint hash into it) in a
    # second team is refused (409) on an upgraded database and stored (201) on a fresh GA install. From 0.9.x
    # on SQLite, deleting a user fails (500): the upgraded email_team_member_history lacks GA's ON DELETE
    # CASCADE (no user can be deleted there). Deleting federated gateways ends the same. On PostgreSQL an A2A
    # agent's task ids over 255 characters and states over 50 are stored on the upgraded database and refused on
    # a fresh GA (its lengths are missing after the migrations). Declared in
    # upgrade_suite/judging/consequence_defects.py.
    @sqlite @product-defect
    Examples: SQLite
      | from  | to | database |
      | 0.9.x | GA | SQLite   |
      | RC1   | GA | SQLite   |

    @postgres @product-defect
    Examples: PostgreSQL
      | from  | to | database   |
      | 0.9.x | GA | PostgreSQL |
      | RC1   | GA | PostgreSQL |

    # Product defect: a GA database upgraded to 1.1.0 refuses a second tool of the same name in the same team
    # (409), as 1.1.0's models declare; a fresh 1.1.0 install stores it, and then refuses renaming the first
    # (400). On SQLite a fresh 1.1.0 refuses (409) deleting a user who left a team, which the upgraded database
    # allows (its email_team_member_history cascades, as 1.1.0's models declare). Deleting a user deletes their
    # personal team: what was shared with it keeps the deleted team's id on a fresh 1.1.0 and loses its team on
    # the upgraded database (ON DELETE SET NULL only there). Deleting federated gateways ends the same. In SQL,
    # on the tables no user operation reaches: an audit entry without a resource is stored only on the upgraded
    # database, a ToolOps test case without a run status refused only there, a user an approval or a sign-in names
    # cannot be deleted there by other means than 1.1.0's own (which clears both first), and on PostgreSQL task
    # and session ids over 255 characters are refused only there. Declared
    # in upgrade_suite/judging/consequence_defects.py.
    @current @sqlite @product-defect
    Examples: GA to the newest, SQLite
      | from | to     | database |
      | GA   | latest | SQLite   |

    @current @postgres @product-defect
    Examples: GA to the newest, PostgreSQL
      | from | to     | database   |
      | GA   | latest | PostgreSQL |

    # Product defect: a 1.0.4 database upgraded to 1.1.0 keeps 1.0.4's unique names over all teams (tools(name),
    # servers(name), gateways(slug), gateways(url); 1.1.0's models declare none of them, the matrix's 1.0.4 cells
    # name them): a tool, a server or a gateway named as one in another team, or a gateway at a URL another team
    # uses, is refused (409) after the upgrade and stored on a fresh 1.1.0. 1.0.5 and later upgrade without them.
    # Declared in upgrade_suite/judging/consequence_defects.py.
    @current @sqlite @product-defect
    Examples: A 1.0.4 database to the newest, SQLite
      | from  | to     | database |
      | 1.0.4 | latest | SQLite   |

    @current @postgres @product-defect
    Examples: A 1.0.4 database to the newest, PostgreSQL
      | from  | to     | database   |
      | 1.0.4 | latest | PostgreSQL |
