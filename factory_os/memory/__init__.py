"""memory: the factory's documents and what they say.

Loading and cross-checking the files under `.factory/` (documents, catalog and
its cache, cross-references), the built-in packs and the JSON Schemas, and
drift. May import everything below it: `errors`, `model`, `store`, `atomic`,
`git`, `ledger`, `rules`.
"""
