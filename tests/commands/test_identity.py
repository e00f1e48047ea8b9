"""Who acts, for every command that writes: git's author identity, matched to team.yaml;
a non-member, or a claim to be another member, writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.governance import add_rule
from tests.helpers import as_author, commit_all, fos, snapshot

STRANGER = "stranger@example.org"


@pytest.fixture
def world(team_repo: Path) -> dict[str, str]:
    """Something of each kind to act on, recorded by a member (git's identity: test)."""
    rule = add_rule(team_repo, "--kind", "forbidden-pattern", "--pattern", "X", "--path", "src/**")
    other = add_rule(team_repo, "--kind", "forbidden-pattern", "--pattern", "Y", "--path", "src/**")
    incident = fos(team_repo, "incident", "add", "--title", "t", "--severity", "low").out.strip()
    session = fos(team_repo, "session", "start", "--format", "json").out
    commit_all(team_repo, "things to act on")
    import json

    return {
        "rule": rule,
        "other": other,
        "incident": incident,
        "session": json.loads(session)["session"],
    }


WRITERS: dict[str, list[str]] = {
    "incident add": ["incident", "add", "--title", "t", "--severity", "low"],
    "rule add": ["rule", "add", "--from-incident", "{incident}", "--title", "t",
                 "--statement", "s"],
    "rule retire": ["rule", "retire", "{rule}", "--reason", "noisy"],
    "rule supersede": ["rule", "supersede", "{rule}", "--by", "{other}"],
    "session start": ["session", "start"],
    "session end": ["session", "end", "--session", "{session}", "--done", "x"],
    "dna add": ["dna", "add", "--title", "t"],
    "knowledge add": ["knowledge", "add", "--title", "t"],
    "spec new": ["spec", "new", "--title", "t", "--owner", "ana", "--sponsor", "ben",
                 "--builder", "forge", "--reviewer", "lens", "--safety-lead", "ben"],
    "run start": ["run", "start", "--title", "t", "--gates", "spec=auto,plan=auto,ship=auto"],
    "escalate open": ["escalate", "open", "--subject", "x", "--reason", "r"],
    "override grant": ["override", "grant", "--rule", "{rule}", "--paths", "src/**",
                       "--ttl", "1h", "--justification", "j"],
    "handoff": ["handoff"],
    "sweep": ["sweep"],
    "init --force": ["init", "--force"],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_a_non_member_is_refused_and_nothing_is_written(
    team_repo: Path, world: dict[str, str], command: str
) -> None:
    args = [a.format(**world) for a in WRITERS[command]]
    before = snapshot(team_repo)
    result = as_author(STRANGER, team_repo, *args)
    assert result.code == 1, result.output
    assert f"<{STRANGER}> is not a member of .factory/team.yaml" in result.err
    assert "to be added" in result.err
    assert snapshot(team_repo) == before


@pytest.mark.parametrize("command", ["incident add", "rule retire", "dna add", "escalate open"])
def test_a_member_cannot_claim_another_member(
    team_repo: Path, world: dict[str, str], command: str
) -> None:
    args = [a.format(**world) for a in WRITERS[command]]
    before = snapshot(team_repo)
    result = as_author("forge@example.com", team_repo, *args, "--actor", "ana")
    assert result.code == 1, result.output
    assert "ana does not match the author email forge@example.com" in result.err
    assert "is forge; act as yourself" in result.err
    assert snapshot(team_repo) == before


def test_the_ledger_names_the_member_by_id(team_repo: Path) -> None:
    result = as_author("FORGE@example.com", team_repo, "incident", "add", "--title", "t",
                       "--severity", "low", "--actor", "forge@example.com")  # fmt: skip
    assert result.code == 0, result.output
    log = fos(team_repo, "ledger", "log", "--kind", "incident.recorded").out.splitlines()
    assert log[0].split()[-1] == "forge"
