"""integrations: where factory-os meets other programs.

`hooks` installs the git hook shims, `hookimpl` is what they run (and, with
the command line, the only code that writes to stdout), `guard` answers an
editor's or agent's "may I write this path?", `mcp_server` serves agents over
MCP. May import every layer below it; `hookimpl` is on the hook path and
imports nothing heavy.
"""
