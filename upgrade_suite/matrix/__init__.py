"""The upgrade compatibility matrix: which cells to run, what each found, and the grid of verdicts.

``plan`` turns PyPI's release list into cells and shards, ``scenarios`` fills the matrix feature's
outlines with them at run time (``MatrixRun``, made in ``before_all``), ``results`` records and merges
what each cell found, ``render`` draws the grid (HTML and terminal), ``page`` reads matrix.html back in
Chromium, ``jobs`` runs N shards on one machine and merges them (``make matrix JOBS=N``), ``indexed_job`` and
``on_cluster`` run them as one Kubernetes Indexed Job instead (``-D engine=kubernetes``), merged the same way.

May import: every stage below it. Only ``scenarios`` touches behave's model; the merge runs without it
(``python -m upgrade_suite.matrix``).
"""
