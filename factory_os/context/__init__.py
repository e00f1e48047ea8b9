"""context: what an agent is shown at session start, and its sessions.

`bundle` builds the budgeted, deterministic context and its manifest;
`sessions` opens and closes sessions and writes digests; `agents_md` keeps the
managed block of AGENTS.md. May import every layer below it (`work`,
`memory`, `rules`, `ledger`, `git`, `store`, `model`, `errors`).
"""
