"""Debian's headless Chromium driven over the DevTools protocol on a pipe: no browser download, no websocket.

The sign-off report is a single-page app: its tree, categories and attachments exist only once its
script has rendered them, and an attachment's content only after a click. ``--dump-dom`` shows the
first page as rendered but cannot click; ``--remote-debugging-pipe`` gives the same protocol
Playwright speaks (JSON messages separated by NUL bytes on file descriptors 3 and 4), enough to
load a page, run a script in it, wait for what it renders and take a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from upgrade_suite.base.errors import SuiteError

#: What to install where no Chromium is found (the one line the report and its test print).
INSTALL_HINT = "apt-get install chromium (Debian's package; make test installs it when running as root)"


def chromium_path() -> str:
    """The Chromium executable on PATH, or a one-line error saying what to install."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise SuiteError(f"chromium is not installed: {INSTALL_HINT}")
    return found


class HeadlessChromium:
    """One headless browser with one page; started on enter, killed on exit (also on error)."""

    def __init__(self, timeout: float = 30.0, size: tuple[int, int] = (1400, 1300)) -> None:
        self.timeout = timeout
        self.size = size
        self._process: subprocess.Popen[bytes] | None = None
        self._profile = ""
        self._next_id = 0
        self._buffer = b""
        self._session = ""

    def __enter__(self) -> HeadlessChromium:
        self._profile = tempfile.mkdtemp(prefix="upgchromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The protocol's descriptors are fixed (the browser reads 3, writes 4): bash moves the pipes there (dash
        # takes one-digit descriptors only).
        # Parked on 90/91 first: a pipe may itself be 3 or 4.
        plumbing = (
            f"exec 90<&{to_browser_r} 91>&{from_browser_w} {to_browser_r}<&- {from_browser_w}>&-; "
            'exec "$@" 3<&90 4>&91 90<&- 91>&-'
        )
        try:
            self._process = subprocess.Popen(
                [
                    "bash",
                    "-c",
                    plumbing,
                    "bash",
                    chromium_path(),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--no-first-run",
                    "--disable-background-timer-throttling",
                    "--disable-renderer-backgrounding",
                    "--remote-debugging-pipe",
                    f"--user-data-dir={self._profile}",
                    f"--window-size={self.size[0]},{self.size[1]}",
                    "about:blank",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                # Its singleton lock lives in a directory of $TMPDIR (org.chromium.Chromium.*) that it never
                # removes: inside the profile, it goes with it (77 of them had piled up in /tmp).
                env={**os.environ, "TMPDIR": self._profile},
                pass_fds=(to_browser_r, from_browser_w),
                start_new_session=True,  # its renderers and zygote share the group: one kill ends them all
            )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        finally:
            self._close_fds(to_browser_r, from_browser_w)
        # The page the browser opened (a target created later renders in the background: no frames, no tree).
        pages = [t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        target = pages[0]["targetId"] if pages else self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.size[0],
            height=self.size[1],
            deviceScaleFactor=1,
            mobile=False,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait(timeout=10)
        self._close_fds(getattr(self, "_to_browser", -1), getattr(self, "_from_browser", -1))
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)

    @staticmethod
    def _close_fds(*fds: int) -> None:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one protocol command to the page's session (or the browser before one exists), await its answer."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session and not method.startswith("Target."):
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read(deadline, method)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise SuiteError(f"chromium refused {method}: {answer['error'].get('message')}")
                return dict(answer.get("result", {}))

    def _read(self, deadline: float, method: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise SuiteError(f"chromium did not answer {method} within {self.timeout:.0f} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise SuiteError(f"chromium exited while answering {method}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def open(self, url: str) -> None:
        """Load ``url`` in the page (a hash change of the same document re-renders without a reload)."""
        self.call("Page.navigate", url=url)

    def load(self, url: str, condition: str, what: str, attempts: int = 3) -> Any:
        """Load ``url`` until ``condition`` holds: a large single-page app loaded from a file sometimes never
        starts rendering (seen about one load in five with Chromium 156), and a reload then renders it."""
        for attempt in range(1, attempts + 1):
            self.open(url) if attempt == 1 else self.call("Page.reload", ignoreCache=True)
            try:
                return self.wait_for(condition, what, timeout=self.timeout / attempts)
            except SuiteError:
                if attempt == attempts:
                    raise

    def evaluate(self, script: str) -> Any:
        """The JSON value of a script (an expression, awaited if it is a promise) run in the page."""
        result = self.call("Runtime.evaluate", expression=script, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise SuiteError(f"a script in the report failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, condition: str, what: str, timeout: float | None = None) -> Any:
        """Poll a script until it returns something truthy; a one-line error naming ``what`` when it never does."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(condition)
            if value:
                return value
            time.sleep(0.1)
        raise SuiteError(f"the page never showed {what} within {timeout:.0f} s")

    def screenshot(self, png: Path) -> Path:
        """The page as the viewport shows it, as a PNG file."""
        png.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))
        return png
