"""git: every git command line the project runs, and nothing else.

`repo` finds the repository once per command (work tree, git dirs, HEAD) as a
`Repository` value that callers pass down; `revrange` parses and resolves the
revisions a user names (`BASE..HEAD`, `--commit`); `plumbing` asks git
(imported by callers as `git`), `log` reads history and trailers in a fixed
number of processes, `spawn` starts the processes. Honours the GIT_INDEX_FILE
and GIT_DIR git hands a hook. Imports only `errors` and `records`; it is on the
hook path, so nothing heavy.
"""
