"""`fos knowledge add|list|show`: notes under `.factory/knowledge/<slug>.md`."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from factory_os import atomic, clock, store
from factory_os.commands._body import read_body, single_line
from factory_os.commands.options import Env, emit, format_option
from factory_os.errors import EXIT_OK, UsageError
from factory_os.memory.catalog import Catalog, NoteInfo
from factory_os.rules.actor import resolve_actor
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


def find_note(catalog: Catalog, slug: str) -> NoteInfo:
    for note in catalog.notes():
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


@click.group("knowledge")
def cli() -> None:
    """Knowledge notes: what an agent should know about a part of the code.

    One Markdown file per note under .factory/knowledge/, named by its slug (the
    note's id), with front matter: title (the only required key), tags, paths
    (gitignore-style globs it concerns), review_by (a date after which `fos
    drift` reports it). `fos context` shows the notes whose paths or tags match.
    """


@cli.command("add")
@click.option("--title", required=True, help="One line; the file name is made from it.")
@click.option("--tags", "tags", multiple=True, metavar="TAG", help="A tag (repeatable).")
@click.option(
    "--paths", "paths", multiple=True, metavar="GLOB", help="A glob it concerns (repeatable)."
)
@click.option(
    "--review-by",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="After this date `fos drift` asks for the note to be reviewed.",
)
@click.option("--body-file", metavar="FILE", help="The note's Markdown body (`-` reads stdin).")
@click.option("--slug", metavar="SLUG", help="The note's id and file name (default: from title).")
@click.option("--actor", metavar="MEMBER", help="Who writes it (default: FOS_ACTOR, git email).")
@click.pass_obj
def add_command(
    env: Env,
    title: str,
    tags: tuple[str, ...],
    paths: tuple[str, ...],
    review_by: datetime | None,
    body_file: str | None,
    slug: str | None,
    actor: str | None,
) -> int:
    """Write a new note and print its path."""
    factory = store.find_factory(env.cwd)
    path = add_note(
        factory,
        title=title,
        actor=resolve_actor(env.cwd, actor),
        tags=[t for item in tags for t in item.split(",") if t.strip()],
        paths=[p for item in paths for p in item.split(",") if p.strip()],
        review_by=review_by.date() if review_by else None,
        body=read_body(env.cwd, body_file),
        slug=slug,
    )
    click.echo(factory.rel(path))
    return EXIT_OK


@cli.command("list")
@format_option("text", "json")
@click.pass_obj
def list_command(env: Env, output_format: str) -> int:
    """List the notes: id, title, tags, paths."""
    catalog = Catalog(store.find_factory(env.cwd))
    try:
        notes = catalog.notes()
    finally:
        catalog.close()
    if output_format == "json":
        rows = [{k: v for k, v in note_json(n).items() if k != "body"} for n in notes]
        emit(json.dumps({"notes": rows}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    lines = []
    for note in notes:
        extra = [f"tags: {', '.join(note.tags)}"] if note.tags else []
        extra += [f"paths: {', '.join(note.paths)}"] if note.paths else []
        lines.append(f"{note.id}  {note.title}" + (f"  ({'; '.join(extra)})" if extra else ""))
    emit("".join(line + "\n" for line in lines))
    return EXIT_OK


@cli.command("show")
@click.argument("slug")
@format_option("text", "json")
@click.pass_obj
def show_command(env: Env, slug: str, output_format: str) -> int:
    """Print one note."""
    factory = store.find_factory(env.cwd)
    catalog = Catalog(factory)
    try:
        note = find_note(catalog, slug)
    finally:
        catalog.close()
    if output_format == "json":
        emit(json.dumps(note_json(note), indent=2, ensure_ascii=False) + "\n")
    else:
        emit(store.read_text(factory.root / note.rel, note.rel))
    return EXIT_OK
