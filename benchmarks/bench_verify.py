"""How fast `fos verify` is, against the floor of reading and hashing the same bytes.

    python benchmarks/bench_verify.py [--sizes 100000,1000000]

For each size it generates a ledger (in benchmarks/.work/, a scratch git
repository) shaped like a real one: a few branch segments merged into the
main one, events of the usual kinds with their data, and an append-only file
recorded every thousand entries. It then measures, in the same run:

  floor        read every segment line by line and sha256 each line (hashlib)
  cold         `fos verify` with nothing under `.git/fos/`, as on a fresh clone or
               a CI runner: also reads every line's JSON as `fos ledger log` does
  full         `fos verify --full` right after (warm): every id, the DAG, the
               files; the JSON only of lines whose bytes differ from those an
               earlier run read
  restored     `fos verify` as in a fresh clone given the `.git/fos/` of an earlier
               run on another branch (a CI cache), or in a new worktree: no state
               of its own, every segment a new file (new inode and times), only
               the clone's record of the prefixes read in full
  incremental  `fos verify` after one more entry, with the cache of the full run

cold, full and restored alternate, and print side by side with entries per
second, as ratios to the floor (targets: cold at most 5x, full at most 4x);
incremental / full has a target under 3%. Times are the best of --repeat runs,
by the wall clock and by the CPU time of the process (which the load of other
processes on a shared machine leaves alone).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factory_os import store  # noqa: E402
from factory_os.ledger import events  # noqa: E402
from factory_os.ledger.line import encode  # noqa: E402
from factory_os.ledger.verify import verify_worktree  # noqa: E402

WORK = ROOT / "benchmarks" / ".work"
KINDS = ("session.started", "session.ended", "signoff", "stage.advanced", "escalation.opened")
BRANCHES = 4


def generate(repo: Path, size: int) -> store.Factory:
    """A ledger of SIZE entries in the main segment and BRANCHES side segments: ten
    times over, a side branch forks, both sides write, and the next entry merges."""
    if repo.exists():
        shutil.rmtree(repo)
    (repo / ".factory" / "rules").mkdir(parents=True)
    (repo / ".factory" / "incidents").mkdir()
    (repo / ".factory" / "team.yaml").write_text(
        "members:\n  - {id: bench, name: Bench, kind: human, roles: [owner],"
        " emails: [bench@example.com]}\n"
    )
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    factory = store.find_factory(repo)
    rng = random.Random(size)
    ledger_dir = repo / ".factory" / "ledger"
    ledger_dir.mkdir()
    names = ["main"] + [f"side{n}" for n in range(BRANCHES)]
    files = {name: (ledger_dir / f"{name}.jsonl").open("wb") for name in names}
    side_length = size // (BRANCHES * 20)
    heads: list[str] = []
    written = 0
    while written < size:
        fork = written and written % (size // 10) == 0 and written + 2 * side_length < size
        if not fork:
            heads = [_write(files["main"], factory, rng, heads, written)]
            written += 1
            continue
        side = names[1 + (written // (size // 10)) % BRANCHES]
        tips = []
        for name in (side, "main"):
            chain = heads
            for _ in range(side_length):
                chain = [_write(files[name], factory, rng, chain, written)]
                written += 1
            tips.extend(chain)
        heads = sorted(tips)
    for f in files.values():
        f.close()
    return factory


def _write(
    f: BinaryIO, factory: store.Factory, rng: random.Random, parents: list[str], n: int
) -> str:
    kind = KINDS[n % len(KINDS)]
    refs = []
    subject = f"S-{n:08x}"
    if n % 1000 == 0:
        path = factory.dir / "rules" / f"R-{n:08x}.yaml"
        content = f"id: R-{n:08x}\ntitle: rule {n}\n".encode()
        path.write_bytes(content)
        refs = [{"path": factory.rel(path), "sha256": hashlib.sha256(content).hexdigest()}]
        kind, subject = "rule.added", path.stem
    fields = {
        "v": 1,
        "kind": kind,
        "at": "2026-11-23T04:00:00Z",
        "actor": f"agent-{n % 7}@factory.example",
        "subject": subject,
        "refs": refs,
        "parents": parents,
        "data": {"role": "builder", "manifest": f"{rng.getrandbits(256):064x}", "n": n},
    }
    ident, line = encode(fields)
    f.write(line)
    return ident


# (wall clock, CPU time of this process): on a shared machine the second is what
# the others' load leaves alone
Times = tuple[float, float]


def floor(factory: store.Factory) -> Times:
    def read_and_hash() -> None:
        for path in sorted((factory.dir / "ledger").glob("*.jsonl")):
            with path.open("rb") as f:
                for line in f:
                    hashlib.sha256(line).digest()

    return timed(read_and_hash)


def timed(function: Callable[[], object]) -> Times:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def best(times: list[Times]) -> Times:
    return min(wall for wall, _ in times), min(cpu for _, cpu in times)


def as_a_fresh_clone(repo: Path) -> None:
    """Leave only what a fresh clone given an earlier run's `.git/fos/` would have of
    it: the clone's record of what was read; each segment a new file."""
    shutil.rmtree(repo / ".git" / "fos" / "verify")
    shutil.rmtree(repo / ".git" / "fos" / "verify-index", ignore_errors=True)
    for path in (repo / ".factory" / "ledger").glob("*.jsonl"):
        copy = path.with_suffix(".copy")
        shutil.copyfile(path, copy)
        copy.replace(path)


def run(size: int, repeat: int) -> dict[str, Times]:
    repo = WORK / f"ledger-{size}"
    factory = generate(repo, size)
    reports = []

    def cold() -> None:
        shutil.rmtree(repo / ".git" / "fos", ignore_errors=True)
        reports.append(verify_worktree(factory))

    def full() -> None:
        reports.append(verify_worktree(factory, full=True))

    def restored() -> None:
        reports.append(verify_worktree(factory))

    floors: list[Times] = []
    colds: list[Times] = []
    fulls: list[Times] = []
    restores: list[Times] = []
    for _ in range(repeat):
        floors.append(floor(factory))
        colds.append(timed(cold))
        assert not reports[-1].findings and reports[-1].read == size, reports[-1].findings[:3]
        fulls.append(timed(full))
        assert not reports[-1].findings, reports[-1].findings[:3]
        assert reports[-1].entries == size
        as_a_fresh_clone(repo)
        restores.append(timed(restored))
        assert not reports[-1].findings and reports[-1].read == size, reports[-1].findings[:3]
    time.sleep(0.2)  # let the marks age past the racy window, as between two real runs
    incremental: list[Times] = []
    for n in range(repeat):
        events.append(factory, kind="test.one_more", actor="bench", data={"n": n})
        time.sleep(0.2)

        def again() -> None:
            reports.append(verify_worktree(factory))

        incremental.append(timed(again))
        assert reports[-1].read == 1 and not reports[-1].findings
    return {
        "floor": best(floors),
        "cold": best(colds),
        "full": best(fulls),
        "restored": best(restores),
        "incremental": best(incremental),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="Comma-separated entry counts.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per figure (best is kept).")
    parser.add_argument("--keep", action="store_true", help="Keep the generated ledgers.")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = [(size, run(size, args.repeat)) for size in sizes]
    for clock, name in ((0, "wall clock"), (1, "CPU time of the process")):
        print(f"\n{name}, best of {args.repeat}")
        print(
            f"{'entries':>10} {'floor/s':>10} {'cold/s':>10} {'cold:floor':>10}"
            f" {'full/s':>10} {'full:floor':>10} {'restored/s':>10} {'rest:floor':>10}"
            f" {'incremental':>12} {'incr:full':>10}"
        )
        for size, times in rows:
            row = {key: value[clock] for key, value in times.items()}
            print(
                f"{size:>10,} {size / row['floor']:>10,.0f} {size / row['cold']:>10,.0f}"
                f" {row['cold'] / row['floor']:>9.2f}x {size / row['full']:>10,.0f}"
                f" {row['full'] / row['floor']:>9.2f}x {size / row['restored']:>10,.0f}"
                f" {row['restored'] / row['floor']:>9.2f}x {row['incremental'] * 1000:>10.1f}ms"
                f" {row['incremental'] / row['full']:>9.2%}"
            )
    print("\ntargets: cold:floor <= 5.00x, full:floor <= 4.00x, incr:full < 3%")
    print("restored: a fresh clone or a new worktree, with the clone's record of what was read")
    if not args.keep:
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
