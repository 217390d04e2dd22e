"""Where what happened is judged: evidence objects that say what differs and what it means.

``checks``, ``hazard_checks`` and ``fault_checks`` (checklists of a running gateway and its database; a release
the database's fault met), ``problems`` (a
finding as data: kind and where), ``evidence`` (attachments, timings, the run's measurements),
``snapshots`` (data before and after, and their diff), ``transformations`` and ``expectations`` (the changes
a release makes on purpose, declared), ``schema`` (schema parity), ``triage`` with ``sides`` and
``column_rules`` (what each schema difference does to users, read with the release's ``model_facts``), ``drift``
(those consequences against the lines a person accepted, ``baselines/``, which ``baseline`` records; a
rollback's traces), ``operations`` and ``workload`` (the same operations' outcomes on both databases),
``row_probes`` with ``row_writes`` (writes in SQL, rolled back, where no user operation reaches),
``known_defects`` (how a declared product defect is matched) and ``declarations`` (the real releases' defects,
``signatures/``; those the workload proved in ``consequence_defects``), ``carryover`` (settings a new release stops
reading or refuses), ``start_budget``, ``timeline`` (the rollout's picture), ``cluster_state`` (a cluster's
Deployment and pods after a rollout), ``rows`` and ``at_scale`` (every row compared inside the database).

May import: ``base``, ``releases``, ``services``, ``client``, ``probes`` (by path). Never behave.
"""
