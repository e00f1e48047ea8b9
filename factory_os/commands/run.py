"""`fos run ...`: factory runs with autonomy gates, artifact contracts and escalations.

The run a command concerns is its first argument, else `--run`, else `FOS_RUN`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from factory_os.commands import run_text
from factory_os.commands.options import Env, actor_option, emit, format_option
from factory_os.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from factory_os.model.vocabulary import GATE_MODES, GATES
from factory_os.work import runnames, runtally

if TYPE_CHECKING:
    from factory_os.work.rungates import GateResult

run_option = click.option("--run", "run_opt", metavar="RUN", help="The run (default: FOS_RUN).")


def _args(args: tuple[str, ...], run_opt: str | None, names: tuple[str, ...]) -> list[str]:
    """[run, *NAMES' values] from ARGS: the run first when it is given there."""
    values = list(args)
    if len(values) == len(names) + 1:
        return [runnames.current_run(values[0]), *values[1:]]
    if len(values) != len(names):
        raise UsageError(f"expected [RUN] {' '.join(n.upper() for n in names)}")
    return [runnames.current_run(run_opt), *values]


def _report(outcome: Any) -> int:
    for escalation in getattr(outcome, "opened", []):
        emit(f"escalated {run_text.escalation(escalation)}")
    if outcome.open:
        listed = ", ".join(f"{e.id} {e.cause}" for e in outcome.open)
        click.echo(f"fos: {outcome.run} is stopped: a person must resolve {listed}", err=True)
        return EXIT_FINDINGS
    return EXIT_OK


@click.group(name="run")
def cli() -> None:
    """Factory runs: gates a person sets, artifacts checked against their contracts,
    and escalations whenever the rules say the run must stop."""


@cli.command(name="start")
@click.option("--title", required=True)
@click.option("--spec", metavar="SP-ID", help="The work item the run serves.")
@click.option("--gates", "gate_text", metavar="spec=MODE,plan=MODE,ship=MODE",
              help=f"Every gate's mode: {', '.join(GATE_MODES)}. No defaults.")  # fmt: skip
@actor_option
@click.pass_obj
def start_cmd(
    env: Env, title: str, spec: str | None, gate_text: str | None, actor: str | None
) -> int:
    """Start a run; print its id."""
    if gate_text is None:
        if not sys.stdin.isatty():
            raise UsageError(runnames.GATES_QUESTION)
        gate_text = ",".join(
            f"{g}={click.prompt(f'{g} gate', type=click.Choice(GATE_MODES))}" for g in GATES
        )
    from factory_os.work import runs

    emit(
        runs.start_run(
            env.cwd, title=title, gates=runnames.parse_gates(gate_text), spec=spec, actor=actor
        )
    )
    return EXIT_OK


@cli.command(name="gates")
@click.argument("run_id", metavar="[RUN]", required=False)
@click.option("--set", "changes", required=True, metavar="GATE=MODE,...")
@click.option("--reason", required=True, help="Why they change.")
@run_option
@actor_option
@click.pass_obj
def gates_cmd(
    env: Env, run_id: str | None, changes: str, reason: str, run_opt: str | None, actor: str | None
) -> int:
    """Change a run's gates mid-run."""
    from factory_os.work import runs

    after = runs.change_gates(
        env.cwd,
        runnames.current_run(run_id or run_opt),
        changes=runnames.parse_gates(changes, partial=True),
        reason=reason,
        actor=actor,
    )
    emit(",".join(f"{g}={m}" for g, m in after.items()))
    return EXIT_OK


@cli.command(name="artifact")
@click.argument("args", nargs=-1, metavar="[RUN] FILE")
@run_option
@actor_option
@click.pass_obj
def artifact_cmd(env: Env, args: tuple[str, ...], run_opt: str | None, actor: str | None) -> int:
    """Validate an artifact, store it under the run and record its digest.

    Invalid: exit 3, every problem as path:line: /json/pointer, nothing stored."""
    run_id, file = _args(args, run_opt, ("file",))
    path = Path(file) if Path(file).is_absolute() else env.cwd / file
    from factory_os.work import runs

    outcome = runs.record_artifact(env.cwd, run_id, path, actor=actor)
    emit(f"recorded {outcome.detail['path']} ({outcome.detail['kind']})")
    return _report(outcome)


@cli.command(name="attempt")
@click.argument("run_id", metavar="[RUN]", required=False)
@click.option("--task", required=True)
@click.option("--agent", required=True, help="The member who made the attempt.")
@click.option("--result", required=True, type=click.Choice(runnames.RESULTS))
@click.option("--artifact", help="What the attempt produced (a path or a commit).")
@run_option
@actor_option
@click.pass_obj
def attempt_cmd(env: Env, run_id: str | None, task: str, agent: str, result: str,
                artifact: str | None, run_opt: str | None, actor: str | None) -> int:  # fmt: skip
    """Record one agent's attempt at one task."""
    from factory_os.work import runs

    outcome = runs.record_attempt(
        env.cwd, runnames.current_run(run_id or run_opt), task=task, agent=agent, result=result,
        artifact=artifact, actor=actor,
    )  # fmt: skip
    return _report(outcome)


def _gate_result(result: GateResult) -> int:
    if result.stops:
        for escalation in result.open:
            click.echo(run_text.escalation(escalation), err=True)
        click.echo(f"fos: {result.run}: {result.message}", err=True)
        return EXIT_FINDINGS
    emit(f"{result.run}: {result.message}")
    return EXIT_OK


@cli.command(name="gate")
@click.argument("args", nargs=-1, metavar="[RUN] spec|plan|ship")
@click.option(
    "--skip-security", metavar="REASON", help="Ship without a security review (all tasks cosmetic)."
)
@click.option(
    "--skip-docs", metavar="REASON", help="Ship without docs (all tasks internal refactors)."
)
@run_option
@actor_option
@click.pass_obj
def gate_cmd(env: Env, args: tuple[str, ...], skip_security: str | None, skip_docs: str | None,
             run_opt: str | None, actor: str | None) -> int:  # fmt: skip
    """Pass a gate as its mode says; exit 1 when it waits, lacks evidence, or the run is stopped."""
    run_id, gate = _args(args, run_opt, ("gate",))
    from factory_os.work import rungates

    return _gate_result(
        rungates.pass_gate(
            env.cwd, run_id, gate, skip_security=skip_security, skip_docs=skip_docs, actor=actor
        )
    )


def _decision(approve: bool) -> Callable[..., int]:
    def command(env: Env, run_id: str | None, gate: str, feedback: str, run_opt: str | None,
                actor: str | None, auto_rest: bool = False) -> int:  # fmt: skip
        from factory_os.work import rungates

        return _gate_result(

            rungates.decide(env.cwd, runnames.current_run(run_id or run_opt), gate, approve=approve,
                         feedback=feedback, auto_rest=auto_rest, actor=actor)
        )  # fmt: skip

    return command


def _decision_options(func: Callable[..., int], *, feedback_required: bool) -> Callable[..., int]:
    for decorate in reversed(
        (
            click.argument("run_id", metavar="[RUN]", required=False),
            click.option("--gate", required=True, type=click.Choice(GATES)),
            click.option("--feedback", default="", required=feedback_required),
            run_option,
            actor_option,
            click.pass_obj,
        )
    ):
        func = decorate(func)
    return func


approve_cmd = cli.command(name="approve", help="Approve a gate that waits for a person.")(
    click.option("--auto-rest", is_flag=True, help="Set the later review gates to auto.")(
        _decision_options(_decision(True), feedback_required=False)
    )
)
reject_cmd = cli.command(name="reject", help="Reject a gate that waits; say what must change.")(
    _decision_options(_decision(False), feedback_required=True)
)


@cli.command(name="abandon")
@click.argument("run_id", metavar="[RUN]", required=False)
@click.option("--reason", required=True)
@run_option
@actor_option
@click.pass_obj
def abandon_cmd(
    env: Env, run_id: str | None, reason: str, run_opt: str | None, actor: str | None
) -> int:
    """Give a run up (`run.abandoned`)."""
    from factory_os.work import runs

    runs.abandon_run(env.cwd, runnames.current_run(run_id or run_opt), reason=reason, actor=actor)
    return EXIT_OK


@cli.command(name="show")
@click.argument("run_id", metavar="[RUN]", required=False)
@run_option
@format_option("text", "json")
@click.pass_obj
def show_cmd(env: Env, run_id: str | None, run_opt: str | None, output_format: str) -> int:
    """A run's summary: gates, plan, devil's-advocate changes, attempts, review, tests,
    security, docs and escalations."""
    from factory_os.work import runview

    summary = runview.show_run(env.cwd, runnames.current_run(run_id or run_opt))
    emit(json.dumps(summary, indent=2) if output_format == "json" else run_text.summary(summary))
    return EXIT_OK


@cli.command(name="list")
@click.option("--open", "only_open", is_flag=True, help="Only the runs not shipped or abandoned.")
@format_option("text", "json")
@click.pass_obj
def list_cmd(env: Env, only_open: bool, output_format: str) -> int:
    """The runs, oldest first. JSON: {"runs": [...]}."""
    rows = runtally.list_runs(env.cwd, only_open=only_open)
    emit(
        json.dumps({"runs": rows}, indent=2) if output_format == "json" else run_text.listing(rows)
    )
    return EXIT_OK


@cli.command(name="stats")
@format_option("text", "json", "csv")
@click.pass_obj
def stats_cmd(env: Env, output_format: str) -> int:
    """Telemetry across runs from the ledger: gate outcomes, retries, escalations, time to ship."""
    figures = runtally.run_stats(env.cwd)
    if output_format == "json":
        emit(json.dumps(figures, indent=2))
    else:
        emit(run_text.stats_csv(figures) if output_format == "csv" else run_text.stats(figures))
    return EXIT_OK
