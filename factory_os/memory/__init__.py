"""memory: the factory's documents and what they say.

Reading and cross-checking the files under `.factory/` (`documents`, the
`catalog` and its `doccache`, `crossref`, `validation`), and writing them:
`incidents`, `rule_life` (a rule added, superseded, retired), `dna`,
`knowledge`, `founding` (`fos init`); `ledger_log` lists the ledger's events;
`drift`, the built-in `packs` and the JSON `schemas`. May import everything
below it: `errors`, `paths`, `model`, `git`, `store`, `atomic`, `ledger`,
`rules`.
"""
