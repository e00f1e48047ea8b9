"""How fast the escalation queue, the sweep and the check with overrides are.

Run with no arguments: `python benchmarks/bench_governance.py`. It builds a
repository under benchmarks/.work/ whose ledger holds 10,000 escalations (most
of them resolved, 100 open, 50 of those past their SLA with the breach already
recorded) and 10,000 overrides (1,000 active on `src/`, the rest expired with
their expiry recorded), and prints median times and ratios against baselines
measured in the same run (absolute times are not stable on shared machines):

- `fos escalate list --past-sla` against `fos --version` (target <= 3x);
- `fos sweep` against `fos --version` (target <= 3x): a sweep that finds
  everything already recorded, as every sweep after the first does;
- `fos check --staged`, 100 files staged under `src/` (5 of them breaking a
  rule the overrides lift), with the 1,000 active overrides, against `python
  -c pass` plus `git diff --cached --name-status -z` (the hook target: <= 3x);
  the same check in a repository whose ledger holds no override (the 5 findings
  then block), against the same floor; the two checks against each other,
  which is what honouring the overrides costs; and the check with the overrides
  after the index was written again (as `git add` does before each commit),
  both it and the floor after the same `git update-index`;
- what reading the 1,000 overrides in force costs the hook path, against
  `python -c pass`.

Before measuring, it checks that it measures that: `fos override list --active`
lists 1,000 overrides in force at the check's time (`FOS_NOW`), the change's 5
findings block without them, and each is lifted by one of them.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import ENV, FOS, PYTHON, WORK, compare, sh

from factory_os.ledger.line import encode

ESCALATIONS = 10_000
OVERRIDES = 10_000
ACTIVE = 1_000
OPEN = 100
PAST_SLA = 50
STAGED = 100
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEAM = """\
members:
  - {id: ana, name: Ana, kind: human, roles: [owner], emails: [ana@example.com]}
  - {id: ben, name: Ben, kind: human, roles: [safety-lead], emails: [ben@example.com]}
  - {id: forge, name: Forge, kind: agent, roles: [builder], emails: [test@example.com]}
"""
RULE = """\
id: R-5ec4e7
title: no secrets
statement: Never commit SECRET.
origin: INC-000001
created_at: 2026-01-01T00:00:00Z
created_by: bench
scope: {paths: ["src/**"]}
check: {kind: forbidden-pattern, pattern: SECRET}
"""


# what the hook path adds to a staged check with a finding that blocks: the overrides
# in force in the index, replayed before and kept under the git directory
READ_OVERRIDES = (
    "from pathlib import Path; from factory_os.work.override_index import in_index;"
    " in_index(Path('.'), Path('.git'))"
)


def stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class Chain:
    """Ledger lines, each naming the one before as its parent."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.head: str | None = None

    def add(self, kind: str, actor: str, subject: str, at: datetime, **data: object) -> None:
        fields = {
            "v": 1,
            "kind": kind,
            "at": stamp(at),
            "actor": actor,
            "subject": subject,
            "refs": [],
            "parents": [self.head] if self.head else [],
            "data": data,
        }
        self.head, line = encode(fields)
        self.lines.append(line)


def ledger(overrides: int = OVERRIDES) -> bytes:
    chain = Chain()
    start = NOW - timedelta(days=30)
    for n in range(ESCALATIONS):
        at = start + timedelta(minutes=4 * n)
        ident = f"ESC-{n:06x}"
        recent = n >= ESCALATIONS - OPEN
        if recent:  # the open ones: half of them opened long enough ago to be past the SLA
            at = NOW - timedelta(minutes=60 if n % 2 else 5)
        chain.add(
            "escalation.opened",
            "forge@example.com",
            f"run_{n:08x}",
            at,
            id=ident,
            cause="tests.failed",
            severity="high",
            evidence={"failed": n % 7},
        )
        if not recent:
            chain.add("escalation.acked", "ana@example.com", ident, at + timedelta(minutes=5))
            chain.add(
                "escalation.resolved",
                "ana@example.com",
                ident,
                at + timedelta(minutes=20),
                resolution="fixed",
            )
        elif n % 2:
            chain.add(
                "escalation.breached",
                "ben@example.com",
                ident,
                at + timedelta(minutes=31),
                to=["ana"],
                due_at=stamp(at + timedelta(minutes=30)),
                sla_minutes=30,
            )
    for n in range(overrides):
        active = n < ACTIVE
        at = NOW - timedelta(hours=1) if active else start + timedelta(minutes=4 * n)
        ident = f"OVR-{n:06x}"
        expires = at + timedelta(hours=2)
        chain.add(
            "override.granted",
            "ana@example.com",
            "R-5ec4e7",
            at,
            id=ident,
            rule="R-5ec4e7",
            scope="paths",
            targets=[f"src/pkg{n % 50}/**"],
            justification="benchmark",
            granted_by="ana",
            ttl_seconds=7200,
            expires_at=stamp(expires),
        )
        if not active:
            chain.add(
                "override.expired", "ben@example.com", ident, expires, expires_at=stamp(expires)
            )
    return b"".join(chain.lines)


def make_repo(name: str = "governance", overrides: int = OVERRIDES) -> Path:
    repo = WORK / name
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, PYTHON, "-m", "factory_os", "init")
    factory = repo / ".factory"
    (factory / "team.yaml").write_text(TEAM)
    (factory / "rules" / "R-5ec4e7.yaml").write_text(RULE)
    (factory / "ledger" / "0000000000bench0.jsonl").write_bytes(ledger(overrides))
    for n in range(STAGED):
        path = repo / "src" / f"pkg{n % 50}" / f"mod{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"value = {n}\n")
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "--no-verify", "-m", "factory")
    for n in range(STAGED):  # a few break the rule, on paths the overrides cover
        path = repo / "src" / f"pkg{n % 50}" / f"mod{n}.py"
        path.write_text(path.read_text() + (f"SECRET = {n}\n" if n % 20 == 0 else f"v = {n}\n"))
    sh(repo, "git", "add", "-A")
    return repo


def verify(repo: Path, bare: Path) -> None:
    """That the check measured is the one the target speaks of: the ledger holds
    ACTIVE overrides in force at the check's time, the staged change has findings
    that block without them, and each is lifted by one of them."""
    listed = json.loads(sh(repo, FOS, "override", "list", "--active", "--format", "json"))
    active = [o for o in listed["overrides"] if o["status"] == "active"]
    if len(active) != ACTIVE:
        raise SystemExit(f"{len(active)} overrides in force, not {ACTIVE}")
    lifted = json.loads(sh(repo, FOS, "check", "--staged", "--format", "json"))
    blocked = json.loads(sh(bare, FOS, "check", "--staged", "--format", "json"))
    broken = STAGED // 20
    covered = [f for f in lifted["findings"] if f["overridden"]]
    if not (lifted["ok"] and len(covered) == broken == blocked["blocking"]):
        raise SystemExit(f"the overrides did not lift the {broken} findings:\n{lifted}")
    if {f["overridden"]["id"] for f in covered} - {o["id"] for o in active}:
        raise SystemExit("a finding was lifted by an override not in force")


def main() -> int:
    ENV["FOS_NOW"] = stamp(NOW)
    ENV["FOS_ACTOR"] = "ben@example.com"
    WORK.mkdir(parents=True, exist_ok=True)
    repo = make_repo()
    bare = make_repo("governance-no-overrides", overrides=0)  # the same change, no override
    version = [[FOS, "--version"]]
    listing = [FOS, "escalate", "list", "--past-sla"]
    sweep = [FOS, "sweep"]
    check = [FOS, "check", "--staged"]
    read = [PYTHON, "-c", READ_OVERRIDES]
    # `git add` before a commit writes a new index: the check lists the ledger's blobs
    # again (one git process), though the ledger, and so its replay, is the same
    touch = ["git", "update-index", "--force-write-index"]
    for command in (listing, sweep, check, read):
        sh(repo, *command)  # warm the caches, as every run after the first finds them
    sh(bare, *check)
    verify(repo, bare)
    plain = [[PYTHON, "-c", "pass"], ["git", "diff", "--cached", "--name-status", "-z"]]
    rows = [
        ("escalate list --past-sla", compare(repo, [listing], version), "fos --version <= 3x"),
        ("sweep", compare(repo, [sweep], version), "fos --version <= 3x"),
        (
            "check --staged, no overrides",
            compare(bare, [check], plain),
            "python + git diff <= 3x",
        ),
        (
            f"check --staged, {ACTIVE} overrides",
            compare(repo, [check], plain),
            "python + git diff <= 3x",
        ),
        (
            "  the same against no overrides",
            compare(repo, [check], [[FOS, "-C", str(bare), "check", "--staged"]]),
            "the post-pass's own cost",
        ),
        (
            "  the same, the index rewritten",
            compare(repo, [touch, check], [touch, *plain]),
            "python + git diff <= 3x",
        ),
        (
            f"read the {ACTIVE} overrides (hook)",
            compare(repo, [read], [[PYTHON, "-c", "pass"]]),
            "python -c pass, for reference",
        ),
    ]
    print(f"{ESCALATIONS:,} escalations and {OVERRIDES:,} overrides on the ledger")
    print(f"{'':<32} {'wall time (ms)':^26} {'CPU time (ms)':^26}")
    print(
        f"{'what':<32} {'fos':>8} {'base':>8} {'ratio':>8} {'fos':>8} {'base':>8} {'ratio':>8}"
        "  baseline, target"
    )
    for what, (wall, base_wall, cpu, base_cpu), target in rows:
        print(
            f"{what:<32} {wall * 1e3:>8.1f} {base_wall * 1e3:>8.1f} {wall / base_wall:>8.2f}"
            f" {cpu * 1e3:>8.1f} {base_cpu * 1e3:>8.1f} {cpu / base_cpu:>8.2f}  {target}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
