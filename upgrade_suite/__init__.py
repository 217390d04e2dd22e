"""The library behind the gateway upgrade acceptance suite; the behave steps are thin calls into it.

Its packages are the stages of an upgrade test, bottom to top; a package imports only the ones before it
(``tests/unit/test_layers.py`` fails on an upward arrow or an import circle):

``probes`` (scripts run inside a release's venv) < ``base`` < ``releases`` < ``services`` < ``client`` <
``judging`` < ``lab`` < ``scale`` < ``reporting`` < ``matrix``.
"""
