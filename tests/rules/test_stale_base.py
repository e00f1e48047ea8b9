"""A pull request whose base branch moved on after it forked is judged as the merge will
leave it: the base tip's team decides who may approve, and the lifecycle events it adds
are replayed on the base tip's ledger, through `fos check --range` and a push to a bare
repository guarded by pre-receive."""

from __future__ import annotations

from pathlib import Path

from tests.checks_helpers import commit_as, findings
from tests.governance import act_as
from tests.helpers import commit_all, fos, git, guarded_remote, push, write_tree
from tests.lifecycle_helpers import EMAIL, as_member, make_team, new_item, record


def _range_rules(repo: Path, base: str, head: str) -> tuple[int, list[str]]:
    result = fos(repo, "check", "--range", f"{base}..{head}", "--format", "json")
    assert result.code in (0, 1), result.output
    return result.code, sorted({f["rule_id"] for f in findings(result.out)})


def _pushed_as_new_branch(repo: Path, tmp_path: Path, branch: str) -> tuple[int, str]:
    """Push main as it is (main's own commits are not under test), then BRANCH as a new
    branch through pre-receive."""
    hook = guarded_remote(repo, tmp_path / "remote.git") / "hooks" / "pre-receive"
    hook.rename(hook.with_suffix(".off"))
    first = push(repo, "--no-verify", "main")
    assert first.returncode == 0, first.stdout + first.stderr
    hook.with_suffix(".off").rename(hook)
    proc = push(repo, "--no-verify", branch)
    return proc.returncode, proc.stdout + proc.stderr


def _approved_settings_change(team_repo: Path) -> str:
    """On a branch `feature`: forge changes factory.yaml and ana (an owner at the fork)
    approves it with her own commit. Returns the fork."""
    fork = git(team_repo, "rev-parse", "HEAD")
    git(team_repo, "checkout", "-q", "-b", "feature")
    settings = team_repo / ".factory" / "factory.yaml"
    settings.write_text(settings.read_text() + "# quieter\n")
    change = commit_as(team_repo, "forge@example.com", "settings")
    act_as(team_repo, "ana")
    approved = fos(team_repo, "approve", "--commit", change)
    assert approved.code == 0, approved.output
    commit_all(team_repo, "ana approves the settings")
    git(team_repo, "checkout", "-q", "main")
    return fork


def _demote_ana(team_repo: Path) -> str:
    """main, after the fork: ana is no owner any more."""
    team = team_repo / ".factory" / "team.yaml"
    team.write_text(team.read_text().replace("roles: [owner]", "roles: [builder]"))
    return commit_as(team_repo, "ben@example.com", "ana moves to building")


def test_an_owner_demoted_on_main_after_the_fork_approves_nothing(team_repo: Path) -> None:
    fork = _approved_settings_change(team_repo)
    assert _range_rules(team_repo, fork, "feature") == (0, [])
    main = _demote_ana(team_repo)
    code, rules = _range_rules(team_repo, main, "feature")
    assert (code, rules) == (1, ["R-core-settings-need-approval", "fos:governed-change"])
    result = fos(team_repo, "check", "--range", f"{main}..feature")
    assert "ana holds none of the roles" in result.out


def test_pre_receive_judges_a_new_branch_by_the_default_branchs_team(
    team_repo: Path, tmp_path: Path
) -> None:
    _approved_settings_change(team_repo)
    _demote_ana(team_repo)
    code, out = _pushed_as_new_branch(team_repo, tmp_path, "feature")
    assert code != 0, out
    assert "fos:governed-change" in out and "ana holds none of the roles" in out


def _stale_sign_off(factory_repo: Path) -> str:
    """An item at intake; on `feature`, its intake is recorded, signed by olivia as its
    owner and advanced; on main, after the fork, olivia hands the item to otto."""
    make_team(factory_repo)
    spec_id = new_item(factory_repo)
    commit_as(factory_repo, EMAIL["olivia"], "new item")
    git(factory_repo, "checkout", "-q", "-b", "feature")
    assert record(factory_repo, spec_id, "intake").code == 0
    commit_as(factory_repo, EMAIL["bob"], "intake evidence")
    signed = as_member(factory_repo, "olivia", "signoff", spec_id, "--stage", "intake")
    assert signed.code == 0, signed.output
    commit_as(factory_repo, EMAIL["olivia"], "olivia signs")
    assert as_member(factory_repo, "olivia", "spec", "advance", spec_id).code == 0
    commit_as(factory_repo, EMAIL["olivia"], "past intake")
    git(factory_repo, "checkout", "-q", "main")
    moved = as_member(
        factory_repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "leaving"
    )
    assert moved.code == 0, moved.output
    commit_as(factory_repo, EMAIL["olivia"], "otto owns the item")
    return spec_id


def test_a_sign_off_by_an_owner_replaced_on_main_after_the_fork_is_blocked(
    factory_repo: Path,
) -> None:
    _stale_sign_off(factory_repo)
    fork = git(factory_repo, "merge-base", "main", "feature")
    assert _range_rules(factory_repo, fork, "feature") == (0, [])
    code, rules = _range_rules(factory_repo, "main", "feature")
    assert code == 1
    assert "fos:lifecycle-signoff" in rules and "fos:lifecycle-gate" in rules
    result = fos(factory_repo, "check", "--range", "main..feature")
    assert "olivia does not hold owner" in result.out


def test_pre_receive_replays_a_new_branch_on_the_default_branchs_ledger(
    factory_repo: Path, tmp_path: Path
) -> None:
    _stale_sign_off(factory_repo)
    write_tree(factory_repo, {"README.md": "main moves on\n"})
    code, out = _pushed_as_new_branch(factory_repo, tmp_path, "feature")
    assert code != 0, out
    assert "fos:lifecycle-signoff" in out and "olivia does not hold owner" in out
