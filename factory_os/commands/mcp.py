"""`fos mcp`: serve the factory to agents over the Model Context Protocol (stdio)."""

from __future__ import annotations

import click

from factory_os.commands.options import Env
from factory_os.errors import EXIT_OK


@click.command("mcp")
@click.pass_obj
def cli(env: Env) -> int:
    """Run an MCP server on stdin/stdout for the factory found here.

    Tools: get_context (the session-start bundle), list_rules, show (any
    decision, rule, incident, digest or note by id), check_paths (would a
    write break a path rule?), record_incident. Register it with an MCP
    client as the command `fos -C /path/to/repo mcp`. Needs the optional
    extra: pip install 'factory-os[mcp]'.
    """
    from factory_os.integrations.mcp_server import serve

    serve(env.cwd)
    return EXIT_OK
