"""A rule added from an incident is named at the end of the incident, which only grows:
the check, the hooks' append-only rule, `fos verify` and its history all accept the
growth, and still refuse any other change to an incident."""

from __future__ import annotations

import json
from pathlib import Path

from tests.checks_helpers import commit_as, findings
from tests.governance import act_as
from tests.helpers import commit_all, fos, git, guarded_remote, push


def _rule(repo: Path, incident: str, title: str) -> str:
    added = fos(repo, "rule", "add", "--title", title, "--statement", f"{title}.",
                "--from-incident", incident)  # fmt: skip
    assert added.code == 0, added.output
    return added.out.strip()


def test_rules_from_an_incident_are_added_to_its_resulting_rules(team_repo: Path) -> None:
    act_as(team_repo, "ana")
    incident = fos(team_repo, "incident", "add", "--title", "leak", "--severity", "high")
    assert incident.code == 0, incident.output
    incident_id = incident.out.strip()
    base = commit_all(team_repo, "the incident")
    path = team_repo / ".factory" / "incidents" / f"{incident_id}.md"
    before = path.read_bytes()

    first = _rule(team_repo, incident_id, "No secrets")
    second = _rule(team_repo, incident_id, "Rotate keys")
    after = path.read_bytes()
    assert after.startswith(before), "the old content stays a prefix"
    assert after[len(before) :].decode() == f"\n- {first}: No secrets\n- {second}: Rotate keys\n"
    assert after.decode().endswith(
        f"## Resulting rules\n\n- {first}: No secrets\n- {second}: Rotate keys\n"
    )
    log = fos(team_repo, "ledger", "log", "--kind", "incident.extended", "--format", "json")
    assert [e["data"]["rule"] for e in findings_of(log.out)] == [second, first]

    assert fos(team_repo, "verify").code == 0
    commit_as(team_repo, "ana@example.com", "two rules from the leak")
    result = fos(team_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 0, result.output
    assert fos(team_repo, "verify", "--history").code == 0

    # any other change to the incident is still refused, by every one of them
    grown = git(team_repo, "rev-parse", "HEAD")
    path.write_text(path.read_text().replace("leak", "nothing happened") + "- more\n")
    assert fos(team_repo, "verify").code == 1
    commit_as(team_repo, "ana@example.com", "rewrite history")
    result = fos(team_repo, "check", "--range", f"{grown}..HEAD", "--format", "json")
    assert "R-core-governance-append-only" in [f["rule_id"] for f in findings(result.out)]
    history = fos(team_repo, "verify", "--history")
    assert history.code == 1 and incident_id in history.output


def findings_of(out: str) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads(out)["entries"]
    return entries


def test_git_shows_the_growth_as_added_lines_only(team_repo: Path) -> None:
    act_as(team_repo, "ana")
    incident_id = fos(team_repo, "incident", "add", "--title", "t", "--severity", "low").out
    commit_all(team_repo, "incident")
    _rule(team_repo, incident_id.strip(), "A rule")
    diff = git(team_repo, "diff", "--numstat", "--", ".factory/incidents")
    assert diff.split()[:2] == ["2", "0"]


def test_a_section_added_by_hand_passes_and_a_rewrite_is_refused(
    team_repo: Path, tmp_path: Path
) -> None:
    """Append-only means an incident may only grow: a follow-up section written by hand
    at its end passes verify, the check and pre-receive like a recorded one; a change
    that does not keep the old content as a prefix is refused by all three."""
    act_as(team_repo, "ana")
    incident = fos(team_repo, "incident", "add", "--title", "leak", "--severity", "high")
    incident_id = incident.out.strip()
    _rule(team_repo, incident_id, "No secrets")  # a growth the ledger records
    base = commit_all(team_repo, "the incident, and a rule from it")
    guarded_remote(team_repo, tmp_path / "remote.git")
    assert push(team_repo, "--no-verify", "main").returncode == 0

    path = team_repo / ".factory" / "incidents" / f"{incident_id}.md"
    path.write_text(path.read_text() + "\n## Follow-up\n\nIt was not a leak after all.\n")
    verified = fos(team_repo, "verify")
    assert verified.code == 0, verified.output
    grown = commit_as(team_repo, "ana@example.com", "a follow-up, by hand")
    result = fos(team_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 0, result.output
    assert fos(team_repo, "verify", "--history").code == 0
    proc = push(team_repo, "--no-verify", "main")
    assert proc.returncode == 0, proc.stderr

    # the old content rewritten, with something added at the end: not a growth
    path.write_text(path.read_text().replace("leak", "nothing happened") + "\n- more\n")
    verified = fos(team_repo, "verify")
    assert verified.code == 1 and f".factory/incidents/{incident_id}.md" in verified.output
    commit_as(team_repo, "ana@example.com", "a rewrite")
    result = fos(team_repo, "check", "--range", f"{grown}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    [finding] = findings(result.out)
    assert finding["rule_id"] == "R-core-governance-append-only"
    assert "not only added to at its end" in finding["message"]
    history = fos(team_repo, "verify", "--history")
    assert history.code == 1 and incident_id in history.output
    proc = push(team_repo, "--no-verify", "main")
    assert proc.returncode != 0 and "R-core-governance-append-only" in proc.stderr
