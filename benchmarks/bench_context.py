"""How long `fos context` takes on a large factory, against `fos --version`.

Run with no arguments: `python benchmarks/bench_context.py [--runs N]`. It builds
a factory with 1,000 rules, 1,000 knowledge notes and 50 or 500 digests in a
temporary repository, then times, in the same run and interleaved, `fos
--version` (the baseline: interpreter and CLI start-up) and `fos context`. The
figures are medians, printed as ratios to the baseline (target: at most 3x),
since absolute times are not stable on a shared machine. The first run of
each factory (which fills the document cache) is shown apart.
"""

from __future__ import annotations

import argparse
import os
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


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


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
            context = [*base, "context", "--role", "builder", "--paths", "src/mod7/**"]
            cold = timed(context)
            everything = [*base, "context"]
            timed(everything)
            version, narrow, wide = [], [], []
            for _ in range(runs):
                version.append(timed([*base, "--version"]))
                narrow.append(timed(context))
                wide.append(timed(everything))
            baseline = statistics.median(version)
            rows.append((digests, "fos --version (baseline)", baseline, baseline))
            rows.append((digests, "fos context (first run, cache cold)", cold, baseline))
            rows.append(
                (digests, "fos context --role --paths", statistics.median(narrow), baseline)
            )
            rows.append((digests, "fos context (no filter)", statistics.median(wide), baseline))
    print(f"{RULES} rules, {NOTES} notes; medians of {runs} runs\n")
    print(f"{'digests':>7}  {'command':<38} {'median':>9} {'ratio':>7}")
    for digests, name, seconds, baseline in rows:
        print(f"{digests:>7}  {name:<38} {seconds * 1000:>7.1f}ms {seconds / baseline:>6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
