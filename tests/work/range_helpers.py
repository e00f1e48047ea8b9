"""The inputs of the lifecycle's pull-request check, read from a real git range."""

from __future__ import annotations

import subprocess
from pathlib import Path

from factory_os import store
from factory_os.ledger import events
from factory_os.model.lifecycle import Lifecycle
from factory_os.model.raci import Raci
from factory_os.model.team import Team
from factory_os.rules.finding import Finding
from factory_os.work import gatecheck
from factory_os.work.operating import OperatingModel
from tests.helpers import git

LEDGER = ".factory/ledger"


def blob(repo: Path, rev: str, path: str) -> bytes | None:
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=repo, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def segments_at(repo: Path, rev: str) -> dict[str, bytes]:
    names = git(repo, "ls-tree", "-r", "--name-only", rev, "--", LEDGER).split()
    return {name: blob(repo, rev, name) or b"" for name in names}


def model_at(repo: Path, rev: str) -> OperatingModel:
    def load(name: str, model: type[Lifecycle] | type[Raci] | type[Team]) -> object:
        path = f".factory/{name}"
        text = (blob(repo, rev, path) or b"").decode()
        return store.validate(model, store.parse_yaml(text, path)).model_dump(mode="json")

    return OperatingModel.from_json(
        load("lifecycle.yaml", Lifecycle), load("raci.yaml", Raci), load("team.yaml", Team)
    )


def added_by(repo: Path, base: str, head: str) -> dict[str, str]:
    """entry id -> the commit that added its line, over BASE..HEAD."""
    found: dict[str, str] = {}
    for commit in git(repo, "rev-list", "--reverse", f"{base}..{head}").split():
        before = segments_at(repo, f"{commit}^")
        for name, content in segments_at(repo, commit).items():
            old = set(before.get(name, b"").split(b"\n"))
            for line in content.split(b"\n"):
                if line and line not in old:
                    found.setdefault(line[:64].decode(), commit)
    return found


def check(repo: Path, base: str, head: str = "HEAD") -> list[Finding]:
    """The lifecycle findings of BASE..HEAD, from what git holds."""
    base, head = git(repo, "rev-parse", base), git(repo, "rev-parse", head)
    model = model_at(repo, base)
    base_entries = events.entries_of(segments_at(repo, base))
    known = {entry.id for entry in base_entries}
    commits = added_by(repo, base, head)
    added = []
    for entry in events.entries_of(segments_at(repo, head)):
        if entry.id in known:
            continue
        commit = commits[entry.id]
        member = model.member(git(repo, "log", "-1", "--format=%ae", commit))
        added.append(gatecheck.Added(entry, member.id if member else None, commit))
    changed = set(git(repo, "diff", "--name-only", base, head).split())
    return gatecheck.check_range(
        base_entries,
        added,
        model,
        lambda path: blob(repo, head, path),
        changed,
        lambda commit, path: blob(repo, commit, path),
    )
