"""What every stage stands on: the run's settings, its one error type, bounded waits, owned directories.

``config`` (every ``-D`` knob, read and validated before any work), ``errors`` (``SuiteError``: one line for
a user to act on), ``waiting`` (bounded waits that name what they waited for), ``sandbox`` (per-scenario
directories, free ports), ``probe_runner`` (running a script inside a release's venv, one timeout and one
error form), ``progress`` (the console and the lock a second run waits on).

May import: ``probes`` only (by path). Knows nothing of releases, gateways or checks.
"""
