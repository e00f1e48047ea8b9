"""AGENTS.md: the factory's standing context in a managed block (`fos export agents-md`).

Agents that read AGENTS.md (and people) see the accepted decisions, the rules
and the general knowledge without running anything. The block sits between two
marker lines; everything outside them is the user's and is kept byte for byte.
Writing is idempotent: an unchanged block leaves the file untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from factory_os import atomic, store
from factory_os.context.bundle import build_context, demote
from factory_os.errors import InvalidInput
from factory_os.store import Factory

BEGIN = (
    "<!-- factory-os:begin (written by `fos export agents-md`; edit .factory/, not this block) -->"
)
END = "<!-- factory-os:end -->"
INTRO = (
    "At the start of each session run `fos context --role ROLE --paths GLOB` for the\n"
    "rules that bind your role and paths, the notes that concern them and the latest\n"
    "session digests. Blocking rules are enforced by the git hooks and the PR check."
)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    changed: bool
    created: bool


def managed_block(factory: Factory) -> str:
    """The block: markers, the intro, and the bundle for every role, without digests
    (they change every session and would churn the file)."""
    bundle = build_context(factory, digests=0)
    body = demote(bundle.text.strip(), 1)
    return f"{BEGIN}\n{INTRO}\n\n{body}\n{END}\n"


def managed_part(text: str) -> list[str]:
    """The lines of TEXT from the first marker to the last (none when it has none):
    what a write leaves alone when it leaves the block alone."""
    lines = text.splitlines()
    marks = [
        i for i, line in enumerate(lines) if line.startswith(BEGIN[:22]) or line.rstrip() == END
    ]
    return lines[marks[0] : marks[-1] + 1] if marks else []


def splice(text: str, block: str, rel: str) -> str:
    """TEXT with its managed block replaced by BLOCK (appended when it has none)."""
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.startswith(BEGIN[:22])]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\r\n") == END]
    if not begins and not ends:
        if not text:
            return block
        separator = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return text + separator + block
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        where = (begins or ends)[-1] + 1
        raise InvalidInput.one(
            rel,
            where,
            "the factory-os block must be one begin marker followed by one end marker;"
            " fix or remove the markers and run again",
        )
    newline = "\r\n" if lines[begins[0]].endswith("\r\n") else "\n"
    if newline != "\n":
        block = block.replace("\n", newline)
    return "".join(lines[: begins[0]]) + block + "".join(lines[ends[0] + 1 :])


def export_agents_md(factory: Factory, *, output: Path) -> ExportResult:
    rel = factory.rel(output)
    exists = output.exists()
    text = store.read_text(output, rel) if exists else ""
    updated = splice(text, managed_block(factory), rel)
    if exists and updated == text:
        return ExportResult(output, changed=False, created=False)
    atomic.write_atomic(output, updated)
    return ExportResult(output, changed=True, created=not exists)
