"""integrations: where factory-os meets other programs.

`hooks` installs the git hook shims, `hookimpl` is what they run, `mcp_server`
serves agents over MCP. May import every layer below it; `hookimpl` is on the
hook path and imports nothing heavy.
"""
