"""`fos verify`: the face of `ledger.verify`."""

from __future__ import annotations

import json

import click

from factory_os import store
from factory_os.commands.options import Env, emit, examples, format_option
from factory_os.errors import EXIT_FINDINGS, EXIT_OK
from factory_os.ledger.report import VerifyReport
from factory_os.ledger.verify import verify
from factory_os.rules.actor import acting_member
from factory_os.work import escalations


def render_text(report: VerifyReport) -> str:
    lines = [str(finding) for finding in report.findings]
    summary = (
        f"{report.entries} entries in {report.segments} segments, {len(report.heads)} heads,"
        f" {report.files} append-only files"
    )
    if report.commits is not None:
        summary += f", {report.commits} commits"
    verdict = f"{len(report.findings)} problems" if report.findings else "intact"
    if report.shallow:
        lines.append(
            "not checked: this is a shallow clone, and the history beyond its boundary"
            " was not there to walk (`git fetch --unshallow`, then verify again)"
        )
        verdict += " as far as the shallow history goes"
    lines.append(f"ledger {verdict}: {summary}")
    return "\n".join(lines) + "\n"


def render_json(report: VerifyReport) -> str:
    return json.dumps(
        {
            "ok": not report.findings,
            "entries": report.entries,
            "segments": report.segments,
            "heads": report.heads,
            "files": report.files,
            "commits": report.commits,
            "shallow": report.shallow,
            "problems": [finding.to_json() for finding in report.findings],
        },
        indent=2,
    )


@click.command(
    name="verify",
    epilog=examples(
        "fos verify                                  # the work tree's ledger and files",
        "fos verify --history                        # and every commit of HEAD's history",
        "fos verify --range origin/main..HEAD        # a pull request",
        "fos verify --history --escalate             # tampering goes to the integrity roles",
    ),
)
@click.option(
    "--history",
    "history_walk",
    is_flag=True,
    help="Also walk all of HEAD's history (what was not walked before): no committed"
    " ledger line or append-only file may ever have changed or gone.",
)
@click.option(
    "--range",
    "range_spec",
    metavar="BASE..HEAD",
    help="Also check the commits of BASE..HEAD, as a pull-request check does.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Hash every line again instead of trusting what the last run verified.",
)
@click.option(
    "--forget-heads",
    is_flag=True,
    help="Forget the heads remembered from earlier runs on this branch (after"
    " discarding uncommitted ledger entries on purpose).",
)
@click.option(
    "--escalate",
    is_flag=True,
    help="When anything is found, open an integrity escalation (once for the same"
    " problems) that goes at once to the members of governance.integrity_roles.",
)
@format_option("text", "json")
@click.pass_obj
def cli(
    env: Env,
    history_walk: bool,
    range_spec: str | None,
    full: bool,
    forget_heads: bool,
    escalate: bool,
    output_format: str,
) -> int:
    """Check the ledger and the append-only files for tampering.

    Every entry's id must be the hash of its stored bytes, every parent must
    exist, no line may be moved, copied or cut, every rule and incident file
    must match the sha256 its ledger entry recorded, and none may be there
    without one. The heads verified last time on this branch must still exist.
    With --history or --range, git history is checked too: a committed ledger
    segment may only grow, and an append-only file never change.

    Each problem is printed as `path:line:` with the entry or commit concerned.
    JSON: {"ok", "entries", "segments", "heads", "files", "commits" (null
    without --history/--range), "shallow" (true when the history walked was cut
    at a shallow clone's boundary: what lies beyond was not checked),
    "problems": [{path, line, entry, commit, segment, segment_line, message}]}:
    the file and line, the entry and the commit concerned, and the ledger line
    that tells (the line itself, or the entry that recorded a file).
    Exit 0 when intact, 1 when anything was found; a --range side that names no
    commit exits 4.

    A run remembers (under .git/) how far it verified and a digest of those
    bytes, so the next one hashes them once and reads only what was appended;
    --full checks every line again.
    """
    report = verify(
        cwd=env.cwd,
        history_walk=history_walk,
        range_spec=range_spec,
        full=full,
        forget_heads=forget_heads,
    )
    emit(render_json(report) if output_format == "json" else render_text(report))
    if report.findings and escalate:
        opened = escalations.escalate_tampering(
            store.find_factory(env.cwd),
            actor=acting_member(env.cwd).id,
            problems=[str(finding) for finding in report.findings],
        )
        click.echo(f"escalated: {opened}" if opened else "already escalated", err=True)
    return EXIT_FINDINGS if report.findings else EXIT_OK
