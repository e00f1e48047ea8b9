"""`command`: a command that must exit 0 (smoke tests before a commit).

It runs once per check, not per commit, when the change touches `scope.paths`
(always when the rule has none), with `sh -c` in the factory root and a
timeout; its output is captured and the tail of it reported. It sees the work
tree as it is: the hooks never stash or modify it.
"""

from __future__ import annotations

from pathlib import Path

from factory_os.rules.compiled import CompiledRule
from factory_os.rules.finding import Finding

TAIL_LINES = 15


def run(rule: CompiledRule, root: Path, member: str | None) -> Finding | None:
    command = str(rule.params["run"])
    timeout = int(rule.params.get("timeout", 60))
    import subprocess  # here: only a check with a command rule pays for its import

    try:
        proc = subprocess.run(
            ["sh", "-c", command],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Finding(
            rule.id,
            rule.severity,
            f"`{command}` did not finish within {timeout}s: {rule.statement}",
            member=member,
        )
    if proc.returncode == 0:
        return None
    tail = proc.stdout.decode("utf-8", "replace").rstrip().splitlines()[-TAIL_LINES:]
    output = ("\n" + "\n".join(f"    {line}" for line in tail)) if tail else ""
    return Finding(
        rule.id,
        rule.severity,
        f"`{command}` exited with {proc.returncode}: {rule.statement}{output}",
        member=member,
    )
