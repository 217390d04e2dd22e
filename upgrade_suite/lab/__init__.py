"""The lab: the run and one scenario, split into one part per concern; what the Gherkin steps call.

``run`` (``SuiteRun``: run-wide caches and the one place that picks the driver), ``history`` (what the
scenario has done, with guards naming a missing step), ``core`` (resources and the operator's procedure: start,
stop, back up, migrate, upgrade, roll back), ``measured`` (what a scenario's record keeps), ``parity``,
``experiments``, ``hazards``, ``faults`` (the database's faults and production set-ups), ``rolling`` with
``rollout``, ``chart``, ``node`` (UPG-06 on the suite's own Kubernetes node), ``startup`` (each built on the core's
verbs), ``phases`` (the timed phase names the runbook reads), ``vocabulary`` (the Gherkin's typed words) and
``scenario`` (``UpgradeScenario``: the verbs the steps call).

May import: every stage below it (``base`` .. ``judging``). No behave: the steps and ``environment.py``
sit above it.
"""
