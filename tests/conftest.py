"""Shared pytest setup: the repository root on sys.path so tests import the library as behave does.

Ctrl-C reaches the programs the tests start, however pytest was started: a shell's background job (``make test &``,
``nohup``) inherits SIGINT ignored, Python then keeps it ignored and every program it starts inherits that too, so
the tests that interrupt a run or a build with SIGINT saw it ignored (measured: the run finished green, the build hung
to its timeout). A handler, unlike an ignored signal, is reset to the default across exec.
"""

import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
