"""The lab: the run and one scenario, split into one part per concern.

``run`` (``SuiteRun``: run-wide caches and the one place that picks the driver), ``history`` (what
the scenario has done, with guards naming a missing step), ``core`` (resources and the operator's
procedure), ``parity``, ``experiments``, ``hazards``, ``rolling`` (each built on the core's verbs),
``phases`` (the timed phase names the runbook reads) and ``scenario`` (``UpgradeScenario``: the
verbs the Gherkin steps call). This package imports nothing itself, so the runbook can read
``phases`` without the run's dependencies.
"""
