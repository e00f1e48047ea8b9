"""`fos knowledge add|list|show`: the face of `memory.knowledge`."""

from __future__ import annotations

import json
from datetime import datetime

import click

from factory_os import store
from factory_os.commands._body import read_body
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_OK
from factory_os.memory.knowledge import add_note, find_note, list_notes, note_json
from factory_os.rules.actor import acting_member


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
@actor_option
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
        actor=acting_member(env.cwd, actor).id,
        tags=[t for item in tags for t in item.split(",") if t.strip()],
        paths=[p for item in paths for p in item.split(",") if p.strip()],
        review_by=review_by.date() if review_by else None,
        body=read_body(env.cwd, body_file),
        slug=slug,
    )
    emit(factory.rel(path))
    return EXIT_OK


@cli.command("list")
@format_option("text", "json")
@click.pass_obj
def list_command(env: Env, output_format: str) -> int:
    """List the notes: id, title, tags, paths."""
    notes = list_notes(store.find_factory(env.cwd))
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
    note = find_note(factory, slug)
    if output_format == "json":
        emit(json.dumps(note_json(note), indent=2, ensure_ascii=False) + "\n")
    else:
        emit(store.read_text(factory.root / note.rel, note.rel))
    return EXIT_OK
