"""The MCP server the suite runs on loopback for gateways to federate (a context manager)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.sandbox import free_port, port_is_listening
from upgrade_suite.base.waiting import stop_process, wait_until
from upgrade_suite.probes import IMPORT_ROOT
from upgrade_suite.probes.mcp_server import TOOLS


class McpServerFixture:
    """A real MCP server process offering ``TOOLS`` (and with ``catalogue="full"`` a prompt and a resource too) at
    ``url``; stopped on exit."""

    tools = TOOLS

    def __init__(self, log_path: Path, start_timeout: float = 30.0, catalogue: str = "tools") -> None:
        """``log_path``'s directory is also the server's working directory (the run's own)."""
        self.log_path = log_path
        self.catalogue = catalogue
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def __enter__(self) -> McpServerFixture:
        self.launch()
        self.wait()
        return self

    def launch(self) -> None:
        """Start the server process without waiting (it can come up while a gateway starts)."""
        if self._process is not None:
            return
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "upgrade_suite.probes.mcp_server", str(self.port), self.catalogue],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.log_path.parent,
                env={**os.environ, "PYTHONPATH": str(IMPORT_ROOT)},
            )

    def wait(self) -> None:
        """Block until the server listens; stop it and fail if it does not."""
        try:
            wait_until(
                self._listening,
                self._start_timeout,
                f"the MCP server fixture to listen on port {self.port}",
                interval=0.05,
            )
        except BaseException:
            self.__exit__()
            raise

    def _listening(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise SuiteError(f"the MCP server fixture exited at start; log: {self.log_path}")
        return port_is_listening(self.port)

    def __exit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        stop_process(process, grace=5)
