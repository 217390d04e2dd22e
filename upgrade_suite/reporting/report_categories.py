"""The sign-off report's categories: where a result is filed, by status and by the suite's labels.

Shared by the report that declares them to Allure (``report``) and the check that reads the page back and
recomputes where each result belongs (``report_dom``), so neither imports the other.
"""

# First match wins. allure-behave reports an AssertionError as "failed" and any other exception as
# "broken"; the suite raises AssertionError only for a check on the gateway (Evidence.require,
# ApiError, a failed Alembic run) and SuiteError (or an unexpected error) when it could not check.
# A @product-defect scenario carries the suite's judgement as its ``verdict`` label (known defect,
# fixed?, new failure): red in Allure all three, told apart only by the label.
CATEGORIES = [
    {
        "name": "Negative controls (tagged @negative-control, red by design: a check shown able to fail)",
        "statuses": ["failed"],
        "tag": "negative-control",
    },
    {
        "name": "New failures in a known-defect scenario (a problem no declaration names: fails the gate)",
        "statuses": ["failed", "broken"],
        "verdict": "new failure",
    },
    {
        "name": "Fixed? A declared defect no longer occurs (fails the gate until its declaration is removed)",
        "statuses": ["failed", "passed"],
        "verdict": "fixed?",
    },
    {
        "name": "Known product defects (exactly their declared problems, upgrade_suite/judging/declarations.py)",
        "statuses": ["failed"],
        "verdict": "known defect",
    },
    {"name": "Product defects: a check on the gateway failed", "statuses": ["failed"]},
    {"name": "Suite or infrastructure errors: the suite could not run a check", "statuses": ["broken"]},
]

#: The label each category may match on, besides the status.
LABELS = ("tag", "verdict")
