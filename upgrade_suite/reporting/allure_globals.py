"""Files about a run as a whole, filed as the Allure results' global attachments (the report's Global Attachments tab).

Screenshots of the report itself and of the matrix page belong to no scenario, yet a person signing off
should find them in the report they sign. Allure's results format has a place for exactly that: a
``*-globals.json`` file listing attachments kept beside the results. One globals file per purpose, with a
fixed name, so building the report again replaces its attachments instead of piling up copies.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

_TYPES = {".png": "image/png", ".txt": "text/plain", ".json": "application/json", ".html": "text/html"}


def attach(results: Path, purpose: str, files: Sequence[tuple[str, Path]]) -> Path:
    """Copy ``files`` (name shown, path) into ``results`` as the global attachments of ``purpose``."""
    results.mkdir(parents=True, exist_ok=True)
    for old in results.glob(f"{purpose}-*-attachment*"):
        old.unlink()
    listed = []
    for index, (name, path) in enumerate(files):
        source = f"{purpose}-{index}-attachment{path.suffix}"
        shutil.copyfile(path, results / source)
        listed.append(
            {
                "name": name,
                "source": source,
                "type": _TYPES.get(path.suffix, "application/octet-stream"),
                "timestamp": int(time.time() * 1000),
            }
        )
    globals_file = results / f"{purpose}-globals.json"
    globals_file.write_text(json.dumps({"attachments": listed, "errors": []}, indent=2) + "\n")
    return globals_file
