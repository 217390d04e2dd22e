"""What a person reads: the terminal summary, the gate, the Allure sign-off report, the runbook.

``plan`` and ``allure_plan`` (the test plan's structure, and each result filed under it; the formatter that
writes only executed scenarios), ``runs`` (each run's own results and ``run.json``; the runs a report merges),
``summary`` (one line per case and database, ``verdicts.json``), ``gate`` (``make upgrade``'s exit status, from the
verdicts), ``report`` and ``report_categories`` (Allure 3 HTML), ``browser`` and ``report_dom`` (the page
read back in headless Chromium and checked against the results), ``allure_globals`` (files about the
run as a whole), ``runbook`` (the operator's steps with measured times).

May import: every stage up to ``scale`` (the runbook reads the lab's phase names and the scale forecast).
"""
