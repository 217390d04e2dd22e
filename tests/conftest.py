"""Shared pytest setup: the repository root on sys.path so tests import the library as behave does."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
