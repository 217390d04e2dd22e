"""How long will my upgrade take? Migration cost against database size (``make scale``): a program.

``measure`` seeds an old release's database at a size (its own models, the production profile), runs the
new release's Alembic with every revision timed and, on PostgreSQL, the locks it holds sampled
(``locks``); ``fit`` turns the points into a cost per revision an operator's row count can be read
against (``forecast``); ``report`` writes the table, the plot and the JSON.

May import: every stage up to ``lab`` (it uses ``SuiteRun`` for releases and the embedded PostgreSQL).
"""
