"""A tiny real MCP server (streamable HTTP) that gateways federate, so tools are discovered.

Run by the suite as ``python -m upgrade_suite.probes.mcp_server PORT [CATALOGUE]``: ``tools`` (the seeded
gateway's, what a registered gateway must list before and after an upgrade) or ``full`` (tools, a prompt and a
resource: what a consequence probe registers so that deleting a gateway reaches every table that references one).
"""

import sys

TOOLS = ("echo", "add")
PROMPTS = ("greet",)
RESOURCES = ("fixture://readme",)
CATALOGUES = ("tools", "full")


def main(port: int, catalogue: str = "tools") -> None:
    """Serve the catalogue on ``127.0.0.1:port/mcp`` until terminated."""
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

    if catalogue == "full":

        @server.prompt()
        def greet(name: str) -> str:
            """Greet someone by name."""
            return f"Hello, {name}"

        @server.resource(RESOURCES[0])
        def readme() -> str:
            """A fixed text."""
            return "the upgrade suite's fixture resource"

    server.run(transport="streamable-http")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] not in CATALOGUES:
        sys.exit(f"catalogue must be one of {CATALOGUES}, not {sys.argv[2]!r}")
    main(int(sys.argv[1]), *sys.argv[2:3])
