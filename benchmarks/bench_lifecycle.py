"""How fast the lifecycle is: `fos spec status` and the pull-request replay of its events.

Run with no arguments: `python benchmarks/bench_lifecycle.py`. It builds a
repository under benchmarks/.work/ with 200 work items spread over every stage
and 10,000 lifecycle ledger entries (creations, evidence with its files,
sign-offs, advances), and prints median times and ratios against baselines
measured in the same run (absolute times are not stable on shared machines):

- `fos spec status` (the table of all items, each gate judged, each recorded
  file's digest checked) against `fos --version` (target <= 3x);
- the pull-request check of a range of 10 commits adding 100 lifecycle events
  (`fos check --range`, which judges each added event on the base's 10,000
  entries replayed, a replay kept under the git directory by the ledger's blob
  ids) against `fos check --range` of the same 10 commits without those events
  (target <= 2x); the same before the base's replay is kept (its first run); and
  a range of as many events on the next base (the first range merged), whose
  replay is not kept yet but grows from the base's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import ENV, FOS, PYTHON, WORK, compare, sh

from factory_os.ledger.line import encode
from factory_os.model.lifecycle import Lifecycle
from factory_os.work.replay import BASE_CACHE

ITEMS = 200
ENTRIES = 10_000
ADDED = 100
COMMITS = 10
NOW = "2026-12-01T09:00:00Z"
TEAM = """\
members:
  - {id: olivia, name: Olivia, kind: human, roles: [owner], emails: [olivia@example.com]}
  - {id: sam, name: Sam, kind: human, roles: [sponsor], emails: [sam@example.com]}
  - {id: bob, name: Bob, kind: agent, roles: [builder], emails: [test@example.com]}
  - {id: rita, name: Rita, kind: human, roles: [reviewer], emails: [rita@example.com]}
  - {id: sara, name: Sara, kind: human, roles: [safety-lead], emails: [sara@example.com]}
"""
ROLES = {"owner": "olivia", "sponsor": "sam", "builder": "bob", "reviewer": "rita",
         "safety_lead": "sara"}  # fmt: skip
SECTIONS = "".join(f"\n## {s}\n\nWritten.\n" for s in (
    "Problem", "Who asks", "Expected value", "Job statement", "Inputs", "Outputs", "Tools",
    "Stop conditions", "Human-in-the-loop gates", "Platform", "Changes", "Verified",
    "Re-evaluation"))  # fmt: skip
CLASSES = ("prompt-injection", "data-exfiltration", "jailbreak", "tool-misuse")
CASES = json.dumps(
    {
        "cases": [
            {"id": f"c{i}", "outcome": "pass", "critical": i < 4, "attack_class": CLASSES[i % 4]}
            for i in range(20)
        ]
    }
)
CONTENT = {
    "markdown": "# Evidence\n" + SECTIONS,
    "ranking": "scores: {value: 5, feasibility: 4, safety: 4, maintenance-burden: 3,"
    " platform-fit: 4}\n",
    "build": "version: 1.0.0\nkind: prompt-pack\nref: prompts/agent@1\n",
    "cases": CASES + "\n",
    "launch-record": "date: 2026-11-01\nowner: olivia\nthresholds:\n"
    "  - {name: eval, value: '1.0', met: true}\ncost_ceiling: 10 USD\nrisk_acceptance: ok\n",
}


class Chain:
    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.head: str | None = None

    def add(
        self, kind: str, actor: str, subject: str, refs: list[dict[str, str]], **data: object
    ) -> None:
        parents = [self.head] if self.head else []
        fields = {"v": 1, "kind": kind, "at": NOW, "actor": actor, "subject": subject,
                  "refs": refs, "parents": parents, "data": data}  # fmt: skip
        self.head, line = encode(fields)
        self.lines.append(line)


def figures(fmt: str) -> dict[str, object]:
    from factory_os.model.lifecycle import EvidenceKind
    from factory_os.work.evidence import figures_of

    kind = EvidenceKind(name="x", format=fmt, file="x")  # type: ignore[arg-type]
    return figures_of(kind, CONTENT[fmt], "x")


def signers(lifecycle: Lifecycle, stage: str) -> list[str]:
    explicit = lifecycle.stages[stage].signoffs
    default = {"intake": ["owner"], "spec": ["owner"], "build": ["owner"],
               "eval": ["reviewer"], "red-team": ["safety-lead"], "port": ["reviewer"],
               "maintain": ["owner"]}  # fmt: skip
    return list(explicit) if explicit is not None else default[stage]


def walk(chain: Chain, root: Path, lifecycle: Lifecycle, spec_id: str, stages: list[str]) -> None:
    """Record each of STAGES' evidence (writing its file), sign it and advance."""
    order = lifecycle.order()
    for stage in stages:
        for kind in lifecycle.stages[stage].evidence:
            rel = f".factory/specs/{spec_id}/{kind.file.replace('{platform}', 'web')}"
            content = CONTENT[kind.format].encode()
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(content)
            ref = {"path": rel, "sha256": hashlib.sha256(content).hexdigest()}
            data: dict[str, object] = {"stage": stage, "evidence": kind.name,
                                       "figures": figures(kind.format)}  # fmt: skip
            if kind.per_platform:
                data["platform"] = "web"
            chain.add("evidence.recorded", "bob", spec_id, [ref], **data)
        for role in signers(lifecycle, stage):
            who = ROLES[role.replace("-", "_")]
            chain.add("signoff", who, spec_id, [], stage=stage, role=role)
        nxt = order[order.index(stage) + 1]
        chain.add("stage.advanced", "olivia", spec_id, [], **{"from": stage, "to": nxt})


def make_repo() -> tuple[Path, str, str, str, str]:
    repo = WORK / "lifecycle"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, PYTHON, "-m", "factory_os", "init")
    factory = repo / ".factory"
    (factory / "team.yaml").write_text(TEAM)
    from factory_os import store

    text = (factory / "lifecycle.yaml").read_text()
    lifecycle = store.validate(Lifecycle, store.parse_yaml(text, "lifecycle.yaml"))
    order = lifecycle.order()
    chain = Chain()
    ids = [f"SP-{n:06x}" for n in range(ITEMS)]
    for n, spec_id in enumerate(ids):
        spec = f".factory/specs/{spec_id}/spec.md"
        body = (
            f"---\nid: {spec_id}\ntitle: Agent {n}\nplatforms: [web]\n"
            + "".join(f"{k}: {v}\n" for k, v in ROLES.items())
            + "---\n"
            + SECTIONS
        )
        (repo / spec).parent.mkdir(parents=True, exist_ok=True)
        (repo / spec).write_text(body)
        ref = {"path": spec, "sha256": hashlib.sha256(body.encode()).hexdigest()}
        chain.add("spec.created", "olivia", spec_id, [ref], stage=order[0], title=f"Agent {n}",
                  roles=ROLES, risk="high", platforms=["web"])  # fmt: skip
        walk(chain, repo, lifecycle, spec_id, order[: n % (len(order) - 1)])
    while len(chain.lines) < ENTRIES:  # sign-offs given again, as items come and go
        spec_id = ids[len(chain.lines) % ITEMS]
        chain.add("signoff", "sam", spec_id, [], stage="rank", role="sponsor")
    (factory / "ledger" / "0000000000bench0.jsonl").write_bytes(b"".join(chain.lines))
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "--no-verify", "-m", "factory")
    base = sh(repo, "git", "rev-parse", "HEAD").decode().strip()
    # two branches of the same COMMITS commits of code; one also adds ADDED lifecycle events
    plain, _ = branch(repo, "plain", base, chain.head, [])
    with_events, head = branch(repo, "events", base, chain.head, ids[:ADDED])
    # once merged, the events' tip is the next base: a range on it adding as many again
    after, _ = branch(repo, "after", with_events, head, ids[ADDED : 2 * ADDED])
    return repo, base, plain, with_events, after


def branch(
    repo: Path, name: str, start: str, head: str | None, subjects: list[str]
) -> tuple[str, str | None]:
    """COMMITS commits of code on START, the branch NAME; with SUBJECTS, each commit also
    signs off a tenth of them (the ledger's head: HEAD). Its tip, and the ledger's head."""
    sh(repo, "git", "checkout", "-q", "-B", name, start)
    segment = repo / ".factory" / "ledger" / f"0000000000{name}.jsonl"
    fresh = Chain()
    fresh.head = head
    items = iter(subjects)
    for c in range(COMMITS):
        (repo / "src").mkdir(exist_ok=True)
        (repo / "src" / f"mod{c}.py").write_text(f"value = {c} # {name}\n")
        if subjects:
            for _ in range(len(subjects) // COMMITS):
                fresh.add("signoff", "bob", next(items), [], stage="intake", role="owner")
            segment.write_bytes(b"".join(fresh.lines))
        sh(repo, "git", "add", "-A")
        sh(repo, "git", "commit", "-q", "--no-verify", "-m", f"change {c}")
    return sh(repo, "git", "rev-parse", name).decode().strip(), fresh.head


def judged(repo: Path, base: str, head: str) -> int:
    """How many lifecycle findings `fos check --range BASE..HEAD` reports."""
    out = sh(repo, FOS, "check", "--range", f"{base}..{head}", "--format", "json")
    return sum(f["rule_id"].startswith("fos:lifecycle-") for f in json.loads(out)["findings"])


def main() -> int:
    ENV["FOS_NOW"] = NOW
    WORK.mkdir(parents=True, exist_ok=True)
    repo, base, plain, with_events, after = make_repo()
    status = [FOS, "spec", "status"]
    version = [[FOS, "--version"]]
    check_plain = [FOS, "check", "--range", f"{base}..{plain}"]
    check_events = [FOS, "check", "--range", f"{base}..{with_events}"]
    check_after = [FOS, "check", "--range", f"{with_events}..{after}"]
    cache = repo / ".git" / "factory-os" / BASE_CACHE
    forget = ["rm", "-rf", str(cache)]
    for command in (status, check_plain, check_events):
        sh(repo, *command)  # warm the caches, as every run after the first finds them
    kept = WORK / "lifecycle-kept-base"  # the cache holding only the base's replay
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(cache, kept)
    only_base = ["sh", "-c", f"rm -rf '{cache}' && cp -r '{kept}' '{cache}'"]
    if judged(repo, base, with_events) != ADDED or judged(repo, base, plain):
        raise SystemExit("the range check did not judge the range's lifecycle events")
    if judged(repo, with_events, after) != ADDED:
        raise SystemExit("the range check did not judge the next range's lifecycle events")
    rows = [
        ("spec status, all items", compare(repo, [status], version), "fos --version <= 3x"),
        (
            f"range check, {ADDED} lifecycle events",
            compare(repo, [check_events], [check_plain]),
            "same range without events <= 2x",
        ),
        (
            "  the same, base not kept yet",
            compare(repo, [forget, check_events], [check_plain]),
            "same range without events",
        ),
        (
            "  on the next base, grown from it",
            compare(repo, [only_base, check_after], [check_plain]),
            "same range without events",
        ),
    ]
    print(f"{ITEMS} work items, {ENTRIES:,} lifecycle entries on the ledger")
    print(f"{'':<36} {'wall time (ms)':^26} {'CPU time (ms)':^26}")
    print(
        f"{'what':<36} {'fos':>8} {'base':>8} {'ratio':>8} {'fos':>8} {'base':>8} {'ratio':>8}"
        "  baseline, target"
    )
    for what, (wall, base_wall, cpu, base_cpu), target in rows:
        print(
            f"{what:<36} {wall * 1e3:>8.1f} {base_wall * 1e3:>8.1f} {wall / base_wall:>8.2f}"
            f" {cpu * 1e3:>8.1f} {base_cpu * 1e3:>8.1f} {cpu / base_cpu:>8.2f}  {target}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
