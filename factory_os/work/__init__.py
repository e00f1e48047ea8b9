"""work: the operating model in motion, all of it derived from ledger events.

Work items moving through the lifecycle (gates, evidence, sign-offs), factory
runs (autonomy gates, artifact contracts, attempts), escalations and
overrides. State is never stored twice: it is a replay of the ledger. May
import every layer below it: `memory`, `rules`, `ledger`, `git`, `store`,
`model`, `clock`, `errors`.
"""
