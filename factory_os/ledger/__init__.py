"""ledger: the hash-chained, branch-safe event log under `.factory/ledger/`.

`line` and `canonical` encode one entry (`canonical` is the one canonical JSON,
also for the context manifest); `segments` names the file each clone, worktree
and branch appends to; `growth` says whether a committed segment only grew;
`dag` orders entries (`place` hands it what verify's pass left); `scan` reads
segments strictly; `events` appends and replays; `verify` (its memory typed in
`verify_state`) and `history` check integrity and report `LedgerProblem`s in a
`VerifyReport` (`report`). May import `errors`, `paths`, `model`, `git`,
`store`, `atomic`.
"""
