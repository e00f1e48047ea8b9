"""Knowledge notes: `.factory/knowledge/<slug>.md`, what an agent should know about a
part of the code. The file name is the note's id; its front matter is
`model.documents.KnowledgeFrontMatter`."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from factory_os import atomic, clock, store
from factory_os.errors import UsageError
from factory_os.memory.catalog import Catalog, NoteInfo
from factory_os.memory.documents import single_line
from factory_os.store import Factory

MAX_SLUG = 60


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:MAX_SLUG].rstrip("-")
    return slug or "note"


def add_note(
    factory: Factory,
    *,
    title: str,
    actor: str,
    tags: list[str] | None = None,
    paths: list[str] | None = None,
    review_by: date | None = None,
    body: str = "",
    slug: str | None = None,
    now: datetime | None = None,
) -> Path:
    """Write a new knowledge note and return its path; its file name is its id."""
    from pydantic import ValidationError

    from factory_os.model.documents import KnowledgeFrontMatter

    front: dict[str, Any] = {"title": single_line(title, "--title")}
    if tags:
        front["tags"] = list(dict.fromkeys(tags))
    if paths:
        front["paths"] = list(dict.fromkeys(paths))
    if review_by:
        front["review_by"] = review_by.isoformat()
    stamp = (now or clock.now()).replace(microsecond=0)
    front["created_at"] = stamp.isoformat().replace("+00:00", "Z")
    front["created_by"] = actor
    try:
        KnowledgeFrontMatter.model_validate(front)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"])
        raise UsageError(f"{where}: {error['msg']}") from None
    folder = factory.dir / "knowledge"
    stem = slug or slugify(title)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", stem):
        raise UsageError(f"--slug {stem!r}: use lower-case letters, digits, '.', '_' and '-'")
    path = folder / f"{stem}.md"
    suffix = 2
    while path.exists():
        if slug:
            raise UsageError(f"{factory.rel(path)} already exists")
        path = folder / f"{stem}-{suffix}.md"
        suffix += 1
    text = f"---\n{store.dump_yaml(front)}---\n"
    if body.strip():
        text += f"\n{body.strip()}\n"
    atomic.write_new(path, text)
    return path


def list_notes(factory: Factory) -> list[NoteInfo]:
    """Every note, as the document cache holds it."""
    catalog = Catalog(factory)
    try:
        return catalog.notes()
    finally:
        catalog.close()


def find_note(factory: Factory, slug: str) -> NoteInfo:
    for note in list_notes(factory):
        if note.id == slug:
            return note
    raise UsageError(f"no knowledge note {slug!r} in .factory/knowledge/")


def note_json(note: NoteInfo) -> dict[str, Any]:
    return {
        "id": note.id,
        "title": note.title,
        "tags": list(note.tags),
        "paths": list(note.paths),
        "review_by": note.review_by,
        "path": note.rel,
        "body": note.body,
    }
