"""The package's releases as PyPI lists them: upload times (to date dependencies), Requires-Python, the newest.

Fetched once per run from PyPI's JSON API and cached, so a rerun without network still resolves.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path

import httpx
from packaging.version import Version

from upgrade_suite.base.errors import SuiteError

PACKAGE = "mcp-contextforge-gateway"
PYPI_JSON = f"https://pypi.org/pypi/{PACKAGE}/json"


class PyPIReleases:
    """Upload times and Requires-Python of the package's releases, from PyPI's JSON API, cached for offline reruns."""

    def __init__(self, cache_dir: Path, timeout: float = 30.0) -> None:
        self._cache_file = cache_dir / "pypi-releases.json"
        self._timeout = timeout

    @cached_property
    def _releases(self) -> dict[str, list[dict[str, object]]]:
        """PyPI's ``releases`` (version -> its files), as fetched now or, offline, as cached last time."""
        try:
            response = httpx.get(PYPI_JSON, timeout=self._timeout, follow_redirects=True)
            response.raise_for_status()
            releases = response.json()["releases"]
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            self._cache_file.write_text(json.dumps(releases))
        except (httpx.HTTPError, KeyError, ValueError) as error:
            if not self._cache_file.exists():
                raise SuiteError(
                    f"cannot list {PACKAGE} releases on PyPI ({error}): check the network or give a wheel/source dir"
                ) from None
            releases = json.loads(self._cache_file.read_text())
        return releases

    @property
    def listing(self) -> dict[str, list[dict[str, object]]]:
        """Every release PyPI lists (version -> its files, yanked ones too): what the matrix plans from."""
        return self._releases

    @cached_property
    def upload_times(self) -> dict[str, datetime]:
        """Version -> latest upload time of its files (yanked and empty releases left out)."""
        return {
            version: max(datetime.fromisoformat(str(f["upload_time_iso_8601"]).replace("Z", "+00:00")) for f in files)
            for version, files in self._releases.items()
            if files and not all(f.get("yanked") for f in files)
        }

    @cached_property
    def requires_python(self) -> dict[str, str]:
        """Version -> the Requires-Python its files declare (a wheel's first: that is what gets installed)."""
        declared = {}
        for version, files in self._releases.items():
            ordered = sorted(
                (f for f in files if not f.get("yanked")), key=lambda f: f.get("packagetype") != "bdist_wheel"
            )
            declared[version] = next((str(f["requires_python"]) for f in ordered if f.get("requires_python")), "")
        return declared

    def latest(self) -> str:
        """The newest final release (pre-releases, yanked and empty releases left out)."""
        finals = [v for v in self.upload_times if not Version(v).is_prerelease]
        if not finals:
            raise SuiteError(f"PyPI lists no final release of {PACKAGE}: give -D latest=<version, wheel or source dir>")
        return max(finals, key=Version)

    def resolution_date(self, version: str) -> str:
        """The midnight (UTC) after the version's upload: resolve its dependencies as of that day."""
        uploaded = self.upload_times[version]
        day_after = (uploaded + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return day_after.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
