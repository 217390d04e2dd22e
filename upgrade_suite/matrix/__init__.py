"""The upgrade compatibility matrix (issue 16): which cells to run, what each found, and the grid of verdicts.

No behave here: ``plan`` turns PyPI's release list into cells, ``results`` records and merges what
each cell found, ``render`` draws the grid (HTML and terminal). The lab runs the cells.
"""
