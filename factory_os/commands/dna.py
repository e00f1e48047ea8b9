"""`fos dna list|show|add`: the architecture decisions in `.factory/DNA.md`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from factory_os import atomic, clock, ids, store
from factory_os.commands._body import read_body, single_line
from factory_os.commands.options import Env, emit, format_option
from factory_os.errors import EXIT_OK, InvalidInput, UsageError
from factory_os.memory import documents
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


def describe(decision: Decision) -> dict[str, object]:
    return decision.model_dump(mode="json")


def _status(decision: Decision) -> str:
    if decision.status == "superseded":
        return f"superseded by {decision.superseded_by}"
    return decision.status


@click.group("dna")
def cli() -> None:
    """The architecture decisions of the factory (.factory/DNA.md).

    Each is a `## D-<id>: Title` section with a `Status:` line (proposed,
    accepted, or superseded by D-<id>). Edit DNA.md by hand to accept or
    supersede a decision; `fos validate` checks ids and supersede links.
    """


@cli.command("list")
@format_option("text", "json")
@click.pass_obj
def list_command(env: Env, output_format: str) -> int:
    """List the decisions: id, status, title."""
    decisions = list_decisions(store.find_factory(env.cwd))
    if output_format == "json":
        rows = [
            {"id": d.id, "status": d.status, "superseded_by": d.superseded_by, "title": d.title}
            for d in decisions
        ]
        emit(json.dumps({"decisions": rows}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    width = max((len(_status(d)) for d in decisions), default=0)
    emit("".join(f"{d.id}  {_status(d):<{width}}  {d.title}\n" for d in decisions))
    return EXIT_OK


@cli.command("show")
@click.argument("decision_id", metavar="ID")
@format_option("text", "json")
@click.pass_obj
def show_command(env: Env, decision_id: str, output_format: str) -> int:
    """Print one decision as it reads in DNA.md."""
    decision = find_decision(store.find_factory(env.cwd), decision_id)
    if output_format == "json":
        emit(json.dumps(describe(decision), indent=2, ensure_ascii=False) + "\n")
    else:
        emit(render_decision(decision))
    return EXIT_OK


@cli.command("add")
@click.option("--title", required=True, help="One line: what is decided.")
@click.option(
    "--status",
    type=click.Choice(["proposed", "accepted"]),
    default="proposed",
    show_default=True,
    help="A new decision is proposed until someone with the authority accepts it.",
)
@click.option(
    "--paths",
    "paths",
    multiple=True,
    metavar="GLOB",
    help="A gitignore-style glob the decision concerns (repeatable).",
)
@click.option(
    "--body-file",
    metavar="FILE",
    help="Markdown prose: context, decision, consequences (`-` reads stdin).",
)
@click.pass_obj
def add_command(
    env: Env, title: str, status: str, paths: tuple[str, ...], body_file: str | None
) -> int:
    """Append a decision to DNA.md and print its id."""
    factory = store.find_factory(env.cwd)
    decision = add_decision(
        factory,
        title=title,
        status=status,
        paths=[p for item in paths for p in item.split(",")],
        body=read_body(Path(env.cwd), body_file),
    )
    click.echo(decision.id)
    return EXIT_OK
