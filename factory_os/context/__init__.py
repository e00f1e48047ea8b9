"""context: what an agent is shown at session start, and its sessions.

`bundle` builds the budgeted, deterministic context and its manifest;
`sessions` opens and closes sessions and writes digests. May import every layer
below it (`memory`, `rules`, `ledger`, `git`, `store`, `model`, `errors`).
"""
