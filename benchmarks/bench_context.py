"""How long `fos context` and `fos validate` take on a large factory, against `fos --version`.

Run with no arguments: `python benchmarks/bench_context.py [--runs N]`. It builds
a factory with 1,000 rules, 1,000 knowledge notes and 50 or 500 digests in a
temporary repository, then times, in the same run and interleaved, `fos
--version` (the baseline: interpreter and CLI start-up), `fos context` and `fos
validate`, each cold (nothing under `.git/fos/`, as on a fresh clone, a new
worktree or a CI runner) and warm (the run right after). The figures are
medians, printed as ratios to the baseline (targets: cold at most 10x, warm at
most 3x), since absolute times are not stable on a shared machine; by the wall
clock and by the CPU time of the command (which the load of other processes
leaves alone). The baseline is the figure every ratio depends on, and a single
`fos --version` varies by a third on a loaded machine: it is timed right before
every timed command, so that it has as many samples as all of them together and
meets the same moments of load; its spread is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RULES = 1000
NOTES = 1000
ROLES = ("builder", "quality", "devops", "ceo")
FOS = [sys.executable, "-m", "factory_os"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def build_factory(repo: Path, digests: int) -> None:
    repo.mkdir()
    git(repo, "init", "-q")
    subprocess.run([*FOS, "-C", str(repo), "init"], check=True, capture_output=True)
    factory = repo / ".factory"
    for n in range(RULES):
        role = ROLES[n % len(ROLES)]
        (factory / "rules" / f"R-{n:06x}.yaml").write_text(
            f"id: R-{n:06x}\n"
            f"title: Rule number {n}\n"
            f"statement: As {role}, keep module {n} consistent with its contract.\n"
            "rationale: Generated for the benchmark.\n"
            "origin: INC-abcdef\n"
            f"severity: {('block', 'warn', 'info')[n % 3]}\n"
            "created_at: 2026-01-01T00:00:00Z\n"
            "created_by: bench\n"
            "scope:\n"
            f"  roles: [{role}]\n"
            f"  paths: ['src/mod{n % 100}/**', 'docs/mod{n}.md']\n"
            "check:\n  kind: manual\n"
        )
    for n in range(NOTES):
        (factory / "knowledge" / f"note-{n:04d}.md").write_text(
            f"---\ntitle: Note {n}\ntags: [topic-{n % 20}]\npaths: ['src/mod{n % 100}/**']\n"
            f"---\n{'What to know about this module. ' * 8}\n"
        )
    (factory / "incidents" / "INC-abcdef.md").write_text(
        "---\nid: INC-abcdef\ntitle: The incident the rules come from\nseverity: high\n"
        "created_at: 2026-01-01T00:00:00Z\ncreated_by: bench\n---\n\nWhat happened.\n"
    )
    for n in range(digests):
        session = f"S-{1_700_000_000 + n * 3600:08x}{n:06x}"
        (factory / "digests" / f"{session}.md").write_text(
            f"---\nsession: {session}\nactor: bench\nrole: builder\n"
            "started_at: 2026-01-01T00:00:00Z\nended_at: 2026-01-01T01:00:00Z\n"
            f"manifest_hash: '{'0' * 64}'\ncommits: []\n---\n"
            f"## Done\n\n- part {n} of the work\n\n## Next\n\n- part {n + 1}\n"
        )
    # let every file age past the cache's racy window, as files in a clone have
    old = time.time() - 60
    for path in factory.rglob("*"):
        os.utime(path, (old, old))


# as installed, with bytecode caching on (some shells export PYTHONDONTWRITEBYTECODE,
# which makes every run compile every module and hides what fos itself costs)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


# (wall clock, CPU time of the command): on a shared machine the second is what the
# others' load leaves alone
Times = tuple[float, float]


def timed(args: list[str]) -> Times:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def cold(repo: Path, args: list[str]) -> Times:
    """ARGS timed with nothing under .git/fos/ (no document or ledger cache)."""
    shutil.rmtree(repo / ".git" / "fos", ignore_errors=True)
    return timed(args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure")
    runs = parser.parse_args().runs
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for digests in (50, 500):
            repo = Path(tmp) / f"factory-{digests}"
            build_factory(repo, digests)
            base = [*FOS, "-C", str(repo)]
            commands = {
                "fos context --role --paths": [
                    *base, "context", "--role", "builder", "--paths", "src/mod7/**",
                ],
                "fos context (no filter)": [*base, "context"],
                "fos validate": [*base, "validate"],
            }  # fmt: skip
            version: list[Times] = []
            times: dict[str, tuple[list[Times], list[Times]]] = {k: ([], []) for k in commands}
            for _ in range(runs):
                for name, args in commands.items():
                    version.append(timed([*base, "--version"]))
                    times[name][0].append(cold(repo, args))
                    version.append(timed([*base, "--version"]))
                    times[name][1].append(timed(args))
            rows.append((digests, "fos --version (baseline)", version, version, version))
            for name, (cold_runs, warm_runs) in times.items():
                rows.append((digests, name, cold_runs, warm_runs, version))
    print(
        f"{RULES} rules, {NOTES} notes; medians of {runs} runs, cold and warm alternating,"
        f" the baseline's of {runs * 2 * 3} runs, one before each timed command"
    )
    for clock, title in ((0, "wall clock"), (1, "CPU time of the command")):
        print(f"\n{title}")
        print(
            f"{'digests':>7}  {'command':<28} {'cold':>9} {'ratio':>7}   {'warm':>9} {'ratio':>7}"
        )
        for digests, name, cold_runs, warm_runs, version in rows:
            baseline = statistics.median(t[clock] for t in version)
            cold_s = statistics.median(t[clock] for t in cold_runs)
            warm_s = statistics.median(t[clock] for t in warm_runs)
            spread = ""
            if cold_runs is version:
                low, high = min(t[clock] for t in version), max(t[clock] for t in version)
                spread = f"   (min {low * 1000:.1f}ms, max {high * 1000:.1f}ms)"
            print(
                f"{digests:>7}  {name:<28} {cold_s * 1000:>7.1f}ms {cold_s / baseline:>6.2f}x"
                f"   {warm_s * 1000:>7.1f}ms {warm_s / baseline:>6.2f}x{spread}"
            )
    print("\ntargets: cold at most 10x the baseline, warm at most 3x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
