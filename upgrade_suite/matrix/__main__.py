"""The CI merge job: ``python -m upgrade_suite.matrix REPORTS SHARD_DIR...`` -> REPORTS/matrix.json and matrix.html.

Reads only the shards' cell records, so the job needs neither PyPI nor a gateway.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from upgrade_suite.matrix.render import publish
from upgrade_suite.matrix.results import merge


def main(arguments: list[str]) -> int:
    if len(arguments) < 2:
        print("usage: python -m upgrade_suite.matrix REPORTS_DIR SHARD_RESULTS_DIR...", file=sys.stderr)
        return 2
    publish(merge(Path(a) for a in arguments[1:]), Path(arguments[0]), Console(stderr=True, highlight=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
