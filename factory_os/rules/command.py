"""`command`: a command that must exit 0 (smoke tests before a commit).

It runs once per check, not per commit, when the change touches `scope.paths`
(always when the rule has none), with `sh -c` in the factory root and a
timeout; its output is captured and the tail of it reported. It sees the work
tree as it is: the hooks never stash or modify it. Only a rule the base holds
unchanged runs: one the checked change adds is the change author's code, and is
reported as not run (`not_run`), whoever checks, wherever. For the index (the
commit hooks, `check --all`) the base is HEAD, and where the clone knows its
remote's default branch, a rule must also be on it, as HEAD has it, where the
checked-out branch leaves it: checking out someone's branch runs none of the
commands it brings.
"""

from __future__ import annotations

from factory_os.rules.compiled import CompiledRule
from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _typeshed import StrPath

TAIL_LINES = 15


NEW = "is new in this change"
UNREVIEWED = (
    "is not on the remote's default branch (refs/remotes/origin/HEAD) as HEAD has it,"
    " where the checked-out branch leaves it"
)


def not_run(rule: CompiledRule, member: str | None, why: str) -> Finding:
    """What is said of a command rule not run: WHY its rule is not the base's."""
    return Finding(
        rule.id,
        "warn",
        f"`{rule.params['run']}` was not run: rule {rule.id} {why}, and a command runs only"
        " once its rule is in the base, unchanged (reviewed and merged)",
        rule.source,
        member=member,
    )


def run(rule: CompiledRule, root: StrPath, member: str | None) -> Finding | None:
    command = str(rule.params["run"])
    timeout = int(rule.params.get("timeout", 60))
    # here: only a check with a command rule pays for these imports
    import contextlib
    import os
    import signal
    import subprocess

    # its own process group, so a timeout ends the whole command, not only `sh`
    proc = subprocess.Popen(
        ["sh", "-c", command],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # it may have ended meanwhile
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Finding(
            rule.id,
            rule.severity,
            f"`{command}` did not finish within {timeout}s: {rule.statement}",
            member=member,
        )
    if proc.returncode == 0:
        return None
    tail = out.decode("utf-8", "replace").rstrip().splitlines()[-TAIL_LINES:]
    output = ("\n" + "\n".join(f"    {line}" for line in tail)) if tail else ""
    return Finding(
        rule.id,
        rule.severity,
        f"`{command}` exited with {proc.returncode}: {rule.statement}{output}",
        member=member,
    )
