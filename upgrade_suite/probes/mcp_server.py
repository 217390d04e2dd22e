"""A tiny real MCP server (streamable HTTP) that gateways federate, so tools are discovered.

Run by the suite as ``python -m upgrade_suite.probes.mcp_server PORT``; its tools are the ones a
registered gateway must list, before and after an upgrade.
"""

import sys

TOOLS = ("echo", "add")


def main(port: int) -> None:
    """Serve the fixture's tools on ``127.0.0.1:port/mcp`` until terminated."""
    from mcp.server.fastmcp import FastMCP

    server = FastMCP("upgrade-suite-fixture", host="127.0.0.1", port=port, log_level="WARNING")

    @server.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    server.run(transport="streamable-http")


if __name__ == "__main__":
    main(int(sys.argv[1]))
