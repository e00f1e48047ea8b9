"""git: every git command line the project runs, and nothing else.

`plumbing` asks git (imported by callers as `git`), `log` reads history and
trailers in a fixed number of processes, `spawn` starts the processes. Honours
the GIT_INDEX_FILE and GIT_DIR git hands a hook. Imports only `errors` and
`records`; it is on the hook path, so nothing heavy.
"""
