"""commands: the click faces of `fos`, one module per command.

Each parses its options, makes one call into the package that owns the
behaviour, renders the result (text or JSON) and returns the exit code. The
only layer besides `cli` that imports click, and with `cli`, `hot` and
`integrations.hookimpl` the only code that writes to stdout. May import every
layer below it.
"""
