"""Where a release is resolved and installed: a PyPI version, wheel or source tree -> a cached venv.

``specs`` (a release named by an alias or a version, resolved to an artifact and its day), ``pypi`` (the
package's releases and their upload times), ``interpreters`` (a Python per release from its
``Requires-Python``), ``debian_python`` (CPython built from Debian's source where nothing else runs),
``venvs`` (the cache of release venvs, built with uv), ``images`` (a container image per release).

May import: ``base``, ``probes`` (by path).
"""
