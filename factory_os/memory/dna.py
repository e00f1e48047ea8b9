"""The architecture decisions in `.factory/DNA.md`: listed, found by id, appended.

A decision is a `## D-<id>: Title` section (`model.dna`); adding one appends a
section and reads the file back, so what is written always parses as written.
"""

from __future__ import annotations

from factory_os import atomic, clock, ids, store
from factory_os.errors import InvalidInput, UsageError
from factory_os.memory import documents
from factory_os.memory.documents import single_line
from factory_os.model.dna import Decision, parse_dna, render_decision
from factory_os.store import Factory


def list_decisions(factory: Factory) -> list[Decision]:
    return documents.load_decisions(factory)


def find_decision(factory: Factory, decision_id: str) -> Decision:
    for decision in documents.load_decisions(factory):
        if decision.id == decision_id:
            return decision
    raise UsageError(f"no decision {decision_id} in .factory/DNA.md (see `fos dna list`)")


def add_decision(
    factory: Factory,
    *,
    title: str,
    status: str = "proposed",
    paths: list[str] | None = None,
    body: str = "",
    today: str | None = None,
) -> Decision:
    """Append a decision section to DNA.md and return it (with its new id)."""
    path = factory.dir / "DNA.md"
    rel = factory.rel(path)
    text = store.read_text(path, rel) if path.exists() else "# DNA\n"
    existing = parse_dna(text, rel)
    taken = {d.id for d in existing}
    decision = Decision(
        id=ids.new_id("D", lambda candidate: candidate in taken),
        title=single_line(title, "--title"),
        status=status,
        paths=[p.strip() for p in paths or [] if p.strip()],
        date=today or clock.now().date().isoformat(),
        body=body.strip(),
    )
    new_text = text.rstrip("\n") + "\n\n" + render_decision(decision)
    try:
        parsed = parse_dna(new_text, rel)
    except InvalidInput as exc:
        raise UsageError(f"the new decision would not read back: {exc.problems[0]}") from None
    if len(parsed) != len(existing) + 1 or parsed[-1].model_dump(exclude={"line"}) != (
        decision.model_dump(exclude={"line"})
    ):
        raise UsageError(
            "the body would not read back as one decision (a line starting with `## ` begins"
            " a new section; use ### or deeper headings in the body)"
        )
    atomic.write_atomic(path, new_text)
    return parsed[-1]
