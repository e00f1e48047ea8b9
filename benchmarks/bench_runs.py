"""How fast `fos run show`, `list` and `stats` read 1,000 runs and 50,000 run events.

Run with no arguments: `python benchmarks/bench_runs.py [--runs N]`. It builds a
factory whose ledger holds 1,000 shipped runs of 50 events each (start, five
artifacts with their files, 40 attempts, three gates, the ship), then times, in
the same run and interleaved, `fos --version` (the baseline: interpreter and CLI
start-up) and the three commands. Figures are medians, printed as ratios to the
baseline (targets: show and list within 3x); `stats` is also printed as a rate,
run events per second of its whole wall time (target: at least 200,000). The
first command after the ledger was written replays it all to build the run
index; that cold run is shown apart, with its rate.

It then commits the factory and times the pull-request check of a range of 10
commits that adds 10 runs of 10 events each (started, five artifacts with their
files, three gates, shipped) to the branch's own ledger segment: `fos check
--range`, which judges every run event on the base's 50,000 replayed, against
the same 10 commits without the runs (CPU and wall time, medians; the
lifecycle's target for the same check is 2x). `--range-only` times only that.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 1000
ATTEMPTS = 40
FOS = [sys.executable, "-m", "factory_os"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_check import FOS as FOS_SCRIPT, compare, sh  # noqa: E402

from factory_os.ledger.line import encode  # noqa: E402
from tests import run_helpers  # noqa: E402

ADDED_RUNS = 10
COMMITS = 10


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def build_factory(repo: Path, *, with_range: bool = False) -> int:
    """A factory with RUNS runs written straight into its ledger; returns the run events."""
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "test@example.com")
    subprocess.run([*FOS, "-C", str(repo), "init"], check=True, capture_output=True, env=ENV)
    (repo / ".factory" / "team.yaml").write_text(run_helpers.TEAM)
    segment = next((repo / ".factory" / "ledger").glob("*.jsonl"))
    last = segment.read_bytes().rstrip(b"\n").split(b"\n")[-1][:64].decode()
    plan = run_helpers.plan()
    files = {
        "feature-request.json": run_helpers.FEATURE,
        "plan.json": plan,
        "review.json": run_helpers.REVIEW,
        "test-results.json": run_helpers.results_for(plan),
        "docs.json": run_helpers.DOCS,
    }
    payloads = {name: json.dumps(doc, indent=2).encode() for name, doc in files.items()}
    digests = {name: hashlib.sha256(p).hexdigest() for name, p in payloads.items()}
    lines: list[bytes] = []
    count = 0

    def add(
        event: str, subject: str, refs: list[dict[str, str]] | None = None, **data: object
    ) -> None:
        nonlocal last, count
        fields = {
            "v": 1, "kind": event, "at": f"2026-12-01T{9 + count // 20000:02d}:00:00Z",
            "actor": "test", "subject": subject, "refs": refs or [],
            "parents": [last], "data": data,
        }  # fmt: skip
        last, line = encode(fields)
        lines.append(line)
        count += 1

    gates = {"spec": "auto", "plan": "auto", "ship": "auto"}

    def one_run(n: int, attempts: int) -> None:
        run_id = f"run_{n:08x}"
        directory = repo / ".factory" / "runs" / run_id
        directory.mkdir(parents=True)
        started = {"path": f".factory/runs/{run_id}/run.yaml", "sha256": "0" * 64}
        add("run.started", run_id, [started], title=f"Feature {n}", gates=gates)
        for name, payload in payloads.items():
            (directory / name).write_bytes(payload)
            ref = {"path": f".factory/runs/{run_id}/{name}", "sha256": digests[name]}
            add("artifact.recorded", run_id, [ref], kind=name[:-5], name=name, version=1)
            if name == "plan.json":
                add("gate.passed", run_id, gate="spec", mode="auto", evidence={})
        for a in range(attempts):
            task = ("T1", "T2")[a % 2]
            result = "fail" if a % 7 == 3 else "pass"
            add("attempt.recorded", run_id, task=task, agent="forge", result=result)
        add("gate.passed", run_id, gate="plan", mode="auto", evidence={})
        add("gate.passed", run_id, gate="ship", mode="auto", evidence={})
        add("run.shipped", run_id)

    for n in range(RUNS):
        one_run(n, ATTEMPTS)
    with segment.open("ab") as f:
        f.write(b"".join(lines))
    if not with_range:
        return count
    # the pull request: COMMITS commits of code, on a second branch with ADDED_RUNS runs
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "factory")
    git(repo, "branch", "-M", "main")
    total = count
    # the branch's own segment, as each clone, worktree and branch appends to its own
    segment = segment.with_name("0000000000branch.jsonl")
    for branch, with_runs in (("plain", False), ("runs", True)):
        git(repo, "checkout", "-q", "-B", branch, "main")
        lines.clear()
        for c in range(COMMITS):
            (repo / "src").mkdir(exist_ok=True)
            (repo / "src" / f"mod{c}.py").write_text(f"value = {c}\n")
            if with_runs:
                one_run(RUNS + c, 0)
                with segment.open("ab") as f:
                    f.write(b"".join(lines))
                lines.clear()
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "--no-verify", "-m", f"change {c}")
    git(repo, "checkout", "-q", "main")
    return total


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure")
    parser.add_argument("--range-only", action="store_true", help="time only the range check")
    options = parser.parse_args()
    runs = options.runs
    if options.range_only:
        range_check(runs)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "factory"
        events = build_factory(repo)
        base = [*FOS, "-C", str(repo)]
        stats_cmd = [*base, "run", "stats", "--format", "json"]
        cold = timed(stats_cmd)
        commands = {
            "fos run show": [*base, "run", "show", f"run_{RUNS // 2:08x}"],
            "fos run list": [*base, "run", "list"],
            "fos run stats": stats_cmd,
        }
        times: dict[str, list[float]] = {"fos --version": [], **{name: [] for name in commands}}
        for _ in range(runs):
            times["fos --version"].append(timed([*base, "--version"]))
            for name, args in commands.items():
                times[name].append(timed(args))
    baseline = statistics.median(times["fos --version"])
    print(f"{RUNS} runs, {events} run events; medians of {runs} runs\n")
    print(f"{'command':<40} {'median':>9} {'ratio':>7}")
    print(f"{'fos --version (baseline)':<40} {baseline * 1000:>7.1f}ms {1:>6.2f}x")
    print(f"{'fos run stats (cold: replays the ledger)':<40} {cold * 1000:>7.1f}ms"
          f" {cold / baseline:>6.2f}x")  # fmt: skip
    for name in commands:
        median = statistics.median(times[name])
        print(f"{name:<40} {median * 1000:>7.1f}ms {median / baseline:>6.2f}x")
    stats_median = statistics.median(times["fos run stats"])
    print(f"\nfos run stats: {events / stats_median:,.0f} events/s (whole command, index warm)")
    print(f"fos run stats: {events / cold:,.0f} events/s (whole command, cold: full replay)")
    range_check(runs)
    return 0


def range_check(runs: int) -> None:
    """The pull-request check of a range adding run events, against the same without."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "factory"
        build_factory(repo, with_range=True)
        plain = [FOS_SCRIPT, "check", "--range", "main..plain"]
        with_runs = [FOS_SCRIPT, "check", "--range", "main..runs", "--format", "json"]
        for command in (plain, with_runs):
            sh(repo, *command)  # warm the caches, as every run after the first finds them
        found = json.loads(sh(repo, *with_runs))["findings"]
        wall, base_wall, cpu, base_cpu = compare(repo, [with_runs], [plain], runs)
    print(
        f"\nfos check --range adding {ADDED_RUNS * 10} run events ({len(found)} findings)"
        f" vs the same range without: CPU {cpu * 1e3:.1f}ms / {base_cpu * 1e3:.1f}ms ="
        f" {cpu / base_cpu:.2f}x, wall {wall * 1e3:.1f}ms / {base_wall * 1e3:.1f}ms ="
        f" {wall / base_wall:.2f}x"
    )


if __name__ == "__main__":
    raise SystemExit(main())
