"""ledger: the hash-chained, branch-safe event log under `.factory/ledger/`.

`line` and `canonical` encode one entry; `segments` names the file each clone,
worktree and branch appends to; `dag` and `place` order entries; `scan` reads
segments strictly; `events` appends and replays; `verify` and `history` check
integrity. May import `errors`, `model`, `store`, `atomic`, `git`.
"""
