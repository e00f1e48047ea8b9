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

from factory_os.ledger.line import encode  # noqa: E402
from tests import run_helpers  # noqa: E402


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def build_factory(repo: Path) -> int:
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
            "actor": "test@example.com", "subject": subject, "refs": refs or [],
            "parents": [last], "data": data,
        }  # fmt: skip
        last, line = encode(fields)
        lines.append(line)
        count += 1

    gates = {"spec": "auto", "plan": "auto", "ship": "auto"}
    for n in range(RUNS):
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
        for a in range(ATTEMPTS):
            task = ("T1", "T2")[a % 2]
            result = "fail" if a % 7 == 3 else "pass"
            add("attempt.recorded", run_id, task=task, agent="forge", result=result)
        add("gate.passed", run_id, gate="plan", mode="auto", evidence={})
        add("gate.passed", run_id, gate="ship", mode="auto", evidence={})
        add("run.shipped", run_id)
    with segment.open("ab") as f:
        f.write(b"".join(lines))
    return count


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure")
    runs = parser.parse_args().runs
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
