"""Scripts that run inside a release's venv (or as their own process), against the gateway's own packages.

They import nothing of the library, and the library knows them only by path (``PROBES / "walk.py"``) or, for
the MCP fixture's server, as a module run from the checkout (``IMPORT_ROOT`` on its ``PYTHONPATH``).
"""

from pathlib import Path

#: Where the probe scripts are, wherever the module that runs one lives.
PROBES = Path(__file__).resolve().parent
#: The directory ``python -m upgrade_suite.probes.<name>`` needs on its path: the checkout.
IMPORT_ROOT = PROBES.parent.parent
