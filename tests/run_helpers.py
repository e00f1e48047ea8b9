"""Shared pieces of the factory-run tests: a team, valid artifacts, and driving a run."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from tests.helpers import Result, commit_all, fos, write_tree

TEAM = """\
members:
  - id: test
    name: Test User
    kind: human
    roles: [owner]
    emails: [test@example.com]
  - id: orchestra
    name: Orchestrator
    kind: agent
    roles: [builder]
    emails: [orchestra@agents.example]
  - id: forge
    name: Forge
    kind: agent
    roles: [builder]
    emails: [forge@agents.example]
  - id: lens
    name: Lens
    kind: agent
    roles: [quality]
    emails: [lens@agents.example]
"""
ALL_AUTO = "spec=auto,plan=auto,ship=auto"


def make_team(repo: Path) -> None:
    write_tree(repo / ".factory", {"team.yaml": TEAM})
    commit_all(repo, "team")


def task(ident: str, group: int = 1, change: str = "feature", **more: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "title": f"Do {ident}",
        "parallel_group": group,
        "change": change,
        "user_impact": "Refunds settle in one step.",
        "edge_cases": [{"id": f"EC-{ident}", "description": "zero amount"}],
        "rollback_strategy": "Revert the commit; no data migrates.",
        "acceptance_criteria": [
            {"id": f"AC-{ident}", "statement": "It works.", "verification": "unit test"}
        ],
        **more,
    }


def plan(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Refund in one step",
        "user_journeys": [{"id": "UJ-1", "description": "a customer asks for a refund"}],
        "tasks": list(tasks) or [task("T1"), task("T2", 2)],
    }


FEATURE = {
    "title": "One-step refunds",
    "problem": "Refunds take two calls today.",
    "outcome": "A refund is one call.",
    "requested_by": "test",
    "user_journeys": [{"id": "UJ-1", "description": "a customer asks for a refund"}],
}
REVIEW = {"verdict": "pass", "summary": "Reads well.", "issues": []}
SECURITY = {"verdict": "pass", "framework": "owasp-top-10", "summary": "Nothing found."}
DOCS = {"verdict": "pass", "summary": "README updated.", "updated": ["README.md"]}


def results_for(the_plan: dict[str, Any], failed: int = 0) -> dict[str, Any]:
    criteria = [c["id"] for t in the_plan["tasks"] for c in t["acceptance_criteria"]]
    edges = [e["id"] for t in the_plan["tasks"] for e in t["edge_cases"]]
    return {
        "verdict": "fail" if failed else "pass",
        "passed": 10,
        "failed": failed,
        "total": 10 + failed,
        "failures": [{"test": f"test_{n}", "message": "boom"} for n in range(failed)],
        "coverage": {
            "acceptance_criteria": {c: [f"test_{c}"] for c in criteria},
            "user_journeys": {j["id"]: ["test_journey"] for j in the_plan["user_journeys"]},
            "edge_cases": {e: [f"test_{e}"] for e in edges},
        },
    }


def start(repo: Path, gates: str = ALL_AUTO, *extra: str) -> str:
    result = fos(repo, "run", "start", "--title", "One-step refunds", "--gates", gates, *extra)
    assert result.code == 0, result.output
    run_id = result.out.strip()
    assert re.fullmatch(r"run_[0-9a-f]{8}", run_id)
    return run_id


def write_artifact(repo: Path, name: str, content: Any) -> Path:
    """Write CONTENT (JSON-able, or text) as the file NAME in a scratch folder."""
    path = repo / "work" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def record(repo: Path, run_id: str, name: str, content: Any) -> Result:
    return fos(repo, "run", "artifact", run_id, str(write_artifact(repo, name, content)))


def recorded(repo: Path, run_id: str, name: str, content: Any) -> None:
    result = record(repo, run_id, name, content)
    assert result.code == 0, result.output


def through_plan(repo: Path, run_id: str, the_plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """Record a feature request and a plan, and pass the spec and plan gates."""
    the_plan = copy.deepcopy(the_plan or plan())
    recorded(repo, run_id, "feature-request.json", FEATURE)
    assert fos(repo, "run", "gate", run_id, "spec").code == 0
    recorded(repo, run_id, "plan.json", the_plan)
    assert fos(repo, "run", "gate", run_id, "plan").code == 0
    return the_plan


def show(repo: Path, run_id: str) -> dict[str, Any]:
    result = fos(repo, "run", "show", run_id, "--format", "json")
    assert result.code == 0, result.output
    data: dict[str, Any] = json.loads(result.out)
    return data
