"""What in the factory's memory has gone stale against the code it describes.

- a knowledge note or a decision (not superseded) whose `paths` match no file;
- a knowledge note whose `review_by` date has passed;
- an active rule whose `scope.paths` match no file (it guards nothing).

"Files" are those git knows in the work tree: tracked, plus untracked ones that
are not ignored (`git ls-files --cached --others --exclude-standard`), relative
to the factory root, where scopes are anchored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from factory_os.git import plumbing as git
from factory_os.memory import documents
from factory_os.memory.catalog import Catalog
from factory_os.rules import pathmatch
from factory_os.store import Factory


@dataclass(frozen=True)
class Drift:
    kind: str  # "knowledge" | "decision" | "rule" | "work item"
    id: str
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind} {self.id}: {self.reason}"


def work_tree_files(factory: Factory) -> list[str]:
    return sorted(set(git.ls_files(factory.root, [], untracked=True)))


def find_drift(factory: Factory, *, today: date) -> list[Drift]:
    files = work_tree_files(factory)
    found: list[Drift] = []

    def unmatched(patterns: list[str]) -> bool:
        return bool(patterns) and not pathmatch.any_file_matches(patterns, files)

    for note in documents.load_knowledge(factory):
        value = note.value
        if unmatched(value.paths):
            found.append(
                Drift("knowledge", note.stem, note.rel, note.line_of("paths"), _none(value.paths))
            )
        if value.review_by is not None and value.review_by < today:
            found.append(
                Drift(
                    "knowledge",
                    note.stem,
                    note.rel,
                    note.line_of("review_by"),
                    f"review_by {value.review_by.isoformat()} has passed",
                )
            )
    dna = factory.rel(factory.dir / "DNA.md")
    for decision in documents.load_decisions(factory):
        if decision.status != "superseded" and unmatched(decision.paths):
            found.append(Drift("decision", decision.id, dna, decision.line, _none(decision.paths)))
    catalog = Catalog(factory)
    try:
        states = catalog.rule_states()
    finally:
        catalog.close()
    for loaded in documents.load_rules(factory):
        rule = loaded.value
        status = states.get(rule.id, (rule.status, None))[0]
        if status == "active" and unmatched(rule.scope.paths):
            where = loaded.line_of("scope", "paths")
            found.append(Drift("rule", rule.id, loaded.rel, where, _none(rule.scope.paths)))
    return sorted(found, key=lambda d: (d.path, d.line, d.kind, d.id, d.reason))


def _none(patterns: list[str]) -> str:
    return f"paths {', '.join(patterns)} match no file in the work tree"
