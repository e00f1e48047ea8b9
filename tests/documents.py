"""Writers of factory documents for tests: rules, notes, digests, decisions."""

from __future__ import annotations

from pathlib import Path

FACTORY = ".factory"


def write_rule(
    repo: Path,
    rule_id: str,
    *,
    statement: str | None = None,
    severity: str = "block",
    status: str = "active",
    roles: tuple[str, ...] = (),
    paths: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> Path:
    lines = [
        f"id: {rule_id}",
        f"title: Title of {rule_id}",
        f"statement: {statement or f'Statement of {rule_id}.'}",
        "origin: INC-abcdef",
        f"severity: {severity}",
        f"status: {status}",
        "created_at: 2026-01-01T00:00:00Z",
        "created_by: test",
        "scope:",
        f"  roles: [{', '.join(roles)}]",
        f"  paths: [{', '.join(repr(p) for p in paths)}]",
        f"  exclude: [{', '.join(repr(p) for p in exclude)}]",
        "check:",
        "  kind: manual",
    ]
    path = repo / FACTORY / "rules" / f"{rule_id}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_note(
    repo: Path,
    slug: str,
    *,
    title: str | None = None,
    tags: tuple[str, ...] = (),
    paths: tuple[str, ...] = (),
    review_by: str | None = None,
    body: str = "",
) -> Path:
    front = [f"title: {title or f'Note {slug}'}"]
    if tags:
        front.append(f"tags: [{', '.join(tags)}]")
    if paths:
        front.append(f"paths: [{', '.join(repr(p) for p in paths)}]")
    if review_by:
        front.append(f"review_by: {review_by}")
    path = repo / FACTORY / "knowledge" / f"{slug}.md"
    path.write_text("---\n" + "\n".join(front) + "\n---\n" + (body or f"Body of {slug}.\n"))
    return path


def write_digest(
    repo: Path,
    session: str,
    *,
    actor: str = "alice",
    ended_at: str = "2026-01-02T00:00:00Z",
    body: str = "",
) -> Path:
    text = (
        "---\n"
        f"session: {session}\n"
        f"actor: {actor}\n"
        "started_at: 2026-01-01T00:00:00Z\n"
        f"ended_at: {ended_at}\n"
        f"manifest_hash: '{'0' * 64}'\n"
        "---\n" + (body or f"## Done\n\n- work of {session}\n")
    )
    path = repo / FACTORY / "digests" / f"{session}.md"
    path.write_text(text, encoding="utf-8")
    return path


def add_decision(
    repo: Path, decision_id: str, title: str, *, status: str = "accepted", body: str = ""
) -> None:
    dna = repo / FACTORY / "DNA.md"
    section = f"\n## {decision_id}: {title}\nStatus: {status}\n\n{body or title + '.'}\n"
    dna.write_text(dna.read_text(encoding="utf-8") + section, encoding="utf-8")
