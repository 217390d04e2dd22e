"""Where what happened is judged: evidence objects that say what differs and what it means.

``checks`` and ``hazard_checks`` (checklists of a running gateway and its database), ``problems`` (a
finding as data: kind and where), ``evidence`` (attachments, timings, the run's measurements),
``snapshots`` (data before and after, and their diff), ``transformations`` and ``expectations`` (the changes
a release makes on purpose, declared), ``schema`` and ``baseline`` (schema parity and signed drift,
``baselines/``), ``known_defects`` (declared product defects, ``signatures/``), ``carryover`` (settings a
new release stops reading), ``start_budget``, ``timeline`` (the rollout's picture), ``rows`` and
``at_scale`` (every row compared inside the database).

May import: ``base``, ``releases``, ``services``, ``client``, ``probes`` (by path). Never behave.
"""
