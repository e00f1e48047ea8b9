"""How fast `fos check` is, against baselines measured in the same run.

Run with no arguments: `python benchmarks/bench_check.py`. It builds generated
repositories under benchmarks/.work/ and prints a table of median times and
ratios (absolute times are not stable on shared machines; ratios are):

- `fos check --staged`, 5,000 files, 100 staged, 40 and 400 rules, against
  (a) `python -c pass` plus `git diff --cached --name-status -z` (target <= 3x),
  both when the staged blobs were checked before (a retried commit) and when
  every run stages new content (the first check after `git add`),
  (b) the pre-commit framework running one no-op hook (target <= 0.5x);
- `fos check --range` over 1,000 commits against `git log --raw` of that range
  (target <= 10x);
- for reference, the installed pre-commit hook itself (the shell shim running
  `python -m factory_os hook-impl`) against (a).
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
PYTHON = sys.executable
# the `fos` script installed beside this Python (what users and the brief run)
FOS = str(Path(PYTHON).with_name("fos"))
FILES = 5_000
STAGED = 100
COMMITS = 1_000
RUNS = 15
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PRE_COMMIT_HOME": str(WORK / "pre-commit-home"),
}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as users run it: with bytecode caches
ROLES = ["ceo", "builder", "quality", "devops"]


def sh(cwd: Path, *args: str, input: bytes | None = None) -> bytes:
    proc = subprocess.run(args, cwd=cwd, env=ENV, input=input, capture_output=True, check=False)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr.decode()}")
    return proc.stdout


def once(cwd: Path, commands: list[list[str]]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, all child processes) of COMMANDS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


Timing = tuple[float, float, float, float]  # ours wall, baseline wall, ours cpu, baseline cpu


def compare(
    cwd: Path,
    ours: list[list[str]],
    baseline: list[list[str]],
    runs: int = RUNS,
    prepare: Callable[[int], None] | None = None,
) -> Timing:
    """Median times of OURS and BASELINE, run alternately so that a change in the
    machine's load touches both alike. CPU time is steadier than wall time on a
    shared machine; both are reported. PREPARE, given the run's number, runs
    untimed before each run of OURS."""
    a, b = [], []
    for run in range(runs):
        if prepare is not None:
            prepare(run)
        a.append(once(cwd, ours))
        b.append(once(cwd, baseline))
    return (
        statistics.median(x for x, _ in a),
        statistics.median(x for x, _ in b),
        statistics.median(y for _, y in a),
        statistics.median(y for _, y in b),
    )


def rule(index: int) -> dict[str, object]:
    """A varied rule: most kinds, scopes over parts of the tree, few of them firing."""
    base = {
        "id": f"R-{index:06x}",
        "title": f"rule {index}",
        "statement": f"Obey rule {index}.",
        "origin": "INC-000001",
        "created_at": "2026-01-01T00:00:00Z",
        "created_by": "bench",
    }
    kind = index % 5
    if kind == 0:
        return {
            **base,
            "scope": {"roles": [ROLES[index % 4]], "paths": [f"pkg{index % 50}/"]},
            "check": {"kind": "path-guard"},
        }
    if kind == 1:
        return {
            **base,
            "scope": {"paths": [f"pkg{index % 50}/**/*.py"], "exclude": ["*_test.py"]},
            "check": {"kind": "forbidden-pattern", "pattern": f"FORBIDDEN_{index}\\b"},
        }
    if kind == 2:
        return {
            **base,
            "scope": {"roles": ["builder"], "paths": [f"docs/area{index}/"]},
            "check": {"kind": "approval-required", "approver_roles": ["ceo"]},
        }
    if kind == 3:
        return {
            **base,
            "scope": {"paths": [f".factory/area{index}/"]},
            "check": {"kind": "append-only"},
        }
    return {**base, "scope": {"paths": [f"pkg{index % 50}/*.md"]}, "check": {"kind": "manual"}}


def fast_import(repo: Path, commits: list[dict[str, bytes]], start_mark: int = 1) -> None:
    """Commits of full file contents on main, through one `git fast-import`
    (marks from START_MARK; above 1, the commits continue the existing main)."""
    stream = bytearray()
    when = 1_700_000_000
    for number, files in enumerate(commits, start=start_mark):
        stream += b"commit refs/heads/main\nmark :%d\n" % number
        stream += b"author Test <test@example.com> %d +0000\n" % (when + number)
        stream += b"committer Test <test@example.com> %d +0000\n" % (when + number)
        message = b"change %d\n" % number
        stream += b"data %d\n%s" % (len(message), message)
        if number == start_mark > 1:  # continue the branch the repository already has
            stream += b"from refs/heads/main^0\n"
        for path, data in files.items():
            stream += b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
    sh(repo, "git", "fast-import", "--quiet", input=bytes(stream))


def restage(repo: Path, run: int) -> None:
    """Give the staged files new content, as after an edit and `git add`: blobs the
    check has never searched."""
    for i in range(STAGED):
        path = repo / f"pkg{i % 50}" / f"mod{i}.py"
        path.write_text(f"value = {i}\nmore = {i}\nrun = {run}\n")
    sh(repo, "git", "add", "-A")


def make_repo(name: str, rules: int) -> Path:
    repo = WORK / name
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    sh(repo, "git", "init", "-q", "-b", "main")
    files = {f"pkg{i % 50}/mod{i}.py": b"value = %d\n" % i for i in range(FILES)}
    fast_import(repo, [files])
    sh(repo, "git", "reset", "-q", "--hard", "main")
    sh(repo, PYTHON, "-m", "factory_os", "init")
    team = [
        "members:",
        "  - {id: test, name: test, kind: human, roles: [owner], emails: [test@example.com]}",
    ]
    team += [
        f"  - {{id: {r}, name: {r}, kind: agent, roles: [{r}], emails: [{r}@example.com]}}"
        for r in ROLES
    ]
    (repo / ".factory" / "team.yaml").write_text("\n".join(team) + "\n")
    rules_dir = repo / ".factory" / "rules"
    for path in rules_dir.glob("*.yaml"):
        path.unlink()
    for index in range(rules):
        (rules_dir / f"R-{index:06x}.yaml").write_text(json.dumps(rule(index), indent=1))
    (repo / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: noop\n        name: noop\n"
        "        entry: 'true'\n        language: system\n        pass_filenames: false\n"
    )
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "--no-verify", "-m", "factory")
    for i in range(STAGED):
        path = repo / f"pkg{i % 50}" / f"mod{i}.py"
        path.write_text(path.read_text() + f"more = {i}\n")
    sh(repo, "git", "add", "-A")
    return repo


def staged_rows() -> list[tuple[str, Timing, str]]:
    rows = []
    for rules in (40, 400):
        repo = make_repo(f"staged-{rules}", rules)
        check = [FOS, "check", "--staged"]
        sh(repo, *check)  # compile the rules once: the hook always runs with a warm cache
        plain = [[PYTHON, "-c", "pass"], ["git", "diff", "--cached", "--name-status", "-z"]]
        rows.append(
            (
                f"check --staged, {rules} rules",
                compare(repo, [check], plain),
                "(a) python + git diff <= 3x",
            )
        )
        # the first check of a staging: every staged blob is new to the check
        rows.append(
            (
                f"  same, {STAGED} new blobs",
                compare(repo, [check], plain, prepare=functools.partial(restage, repo)),
                "(a) python + git diff <= 3x",
            )
        )
        # what `git commit` really runs: the installed shim, then `python -m factory_os
        # hook-impl` (shown for reference: the targets are set on `fos check --staged`)
        sh(repo, FOS, "hooks", "install")
        hook = [str(repo / ".git" / "hooks" / "pre-commit")]
        sh(repo, *hook)
        rows.append(
            (
                f"pre-commit hook, {rules} rules",
                compare(repo, [hook], plain),
                "(a) python + git diff, for reference",
            )
        )
        pre_commit = [PYTHON, "-m", "pre_commit", "run", "--hook-stage", "pre-commit", "noop"]
        sh(repo, *pre_commit)  # let it set up its environment once
        rows.append(
            (
                f"check --staged, {rules} rules",
                compare(repo, [check], [pre_commit]),
                "(b) pre-commit no-op <= 0.5x",
            )
        )
    return rows


def range_rows() -> list[tuple[str, Timing, str]]:
    repo = make_repo("range", 40)
    sh(repo, "git", "commit", "-q", "--no-verify", "-m", "staged")
    base = sh(repo, "git", "rev-parse", "HEAD").decode().strip()
    # each commit rewrites three files
    commits = [
        {f"pkg{(n * 7 + k) % 50}/mod{(n * 7 + k) % FILES}.py": b"v = %d\n" % n for k in range(3)}
        for n in range(COMMITS)
    ]
    fast_import(repo, commits, start_mark=2)
    head = sh(repo, "git", "rev-parse", "main").decode().strip()
    check = [FOS, "check", "--range", f"{base}..{head}"]
    sh(repo, *check)
    log = [["git", "log", "--raw", f"{base}..{head}"]]
    return [
        (
            f"check --range, {COMMITS} commits",
            compare(repo, [check], log, runs=5),
            "git log --raw <= 10x",
        )
    ]


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    rows = staged_rows() + range_rows()
    print(f"{'':<30} {'wall time (ms)':^26} {'CPU time (ms)':^26}")
    print(
        f"{'what':<30} {'fos':>8} {'base':>8} {'ratio':>8} {'fos':>8} {'base':>8} {'ratio':>8}"
        "  baseline, target"
    )
    for what, (wall, base_wall, cpu, base_cpu), target in rows:
        print(
            f"{what:<30} {wall * 1e3:>8.1f} {base_wall * 1e3:>8.1f} {wall / base_wall:>8.2f}"
            f" {cpu * 1e3:>8.1f} {base_cpu * 1e3:>8.1f} {cpu / base_cpu:>8.2f}  {target}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
