from __future__ import annotations

import time
from pathlib import Path

from tests.checks_helpers import add_rule, findings
from tests.helpers import commit_all, fos, git, write_tree


def test_a_failing_command_is_a_finding_with_its_output(factory_repo: Path) -> None:
    add_rule(
        factory_repo,
        "R-ddd444",
        {"kind": "command", "run": "echo smoke failed; exit 3"},
        scope={"paths": ["src/"]},
    )
    commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"other.txt": "x\n"})
    git(factory_repo, "add", "other.txt")
    assert fos(factory_repo, "check", "--staged").code == 0  # outside its paths: not run
    write_tree(factory_repo, {"src/a.py": "x\n"})
    git(factory_repo, "add", "src/a.py")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert result.code == 1
    [finding] = findings(result.out)
    assert "exited with 3" in finding["message"] and "smoke failed" in finding["message"]


def test_a_command_that_passes_or_times_out(factory_repo: Path) -> None:
    add_rule(factory_repo, "R-eee555", {"kind": "command", "run": "true"})
    add_rule(
        factory_repo,
        "R-fff666",
        {"kind": "command", "run": "sleep 5", "timeout": 1},
        severity="warn",
    )
    commit_all(factory_repo, "rules")
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert result.code == 0  # a warning does not block
    [finding] = findings(result.out)
    assert finding["rule_id"] == "R-fff666" and "did not finish within 1s" in finding["message"]


def test_manual_rules_never_find_anything(factory_repo: Path) -> None:
    add_rule(factory_repo, "R-abc777", {"kind": "manual"}, scope={"paths": ["*"]})
    base = commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"a.txt": "x\n"})
    commit_all(factory_repo, "a")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 0 and findings(result.out) == []


def test_a_command_rule_a_range_adds_never_runs_on_the_checker(
    factory_repo: Path, tmp_path: Path
) -> None:
    """A pull request must not get its own code run in CI by adding a command rule."""
    marker = tmp_path / "ran"
    base = git(factory_repo, "rev-parse", "HEAD")
    add_rule(factory_repo, "R-abc778", {"kind": "command", "run": f"touch '{marker}'; exit 1"})
    commit_all(factory_repo, "rule")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD")
    assert result.code == 0 and not marker.exists()
    write_tree(factory_repo, {"x.txt": "x\n"})
    commit_all(factory_repo, "after the merge, it applies")
    assert fos(factory_repo, "check", "--commit", "HEAD").code == 1
    assert marker.exists()


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_a_timeout_ends_the_commands_children_too(factory_repo: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    add_rule(
        factory_repo,
        "R-abc779",
        {"kind": "command", "run": f"sleep 20 & echo $! > '{pid_file}'; wait", "timeout": 1},
    )
    commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    started = time.monotonic()
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert time.monotonic() - started < 10
    assert result.code == 1 and "did not finish within 1s" in result.out
    pid = int(pid_file.read_text())
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)


def test_a_command_rule_a_branch_brings_is_reported_and_not_run(
    factory_repo: Path, tmp_path: Path
) -> None:
    """A hostile branch's new command rule runs neither in `check --all` nor in the
    commit hooks of whoever checks it out: only a rule the base holds runs."""
    marker = tmp_path / "pwned"
    add_rule(factory_repo, "R-abc781", {"kind": "command", "run": "true"})
    commit_all(factory_repo, "a reviewed command rule")
    git(factory_repo, "checkout", "-q", "-b", "hostile")
    add_rule(factory_repo, "R-abc780", {"kind": "command", "run": f"echo PWNED > '{marker}'"})
    # and the reviewed rule changed to run the same
    add_rule(factory_repo, "R-abc781", {"kind": "command", "run": f"echo PWNED > '{marker}'"})
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "-A")
    for mode in ("--all", "--staged"):
        result = fos(factory_repo, "check", mode, "--format", "json")
        assert not marker.exists(), mode
        found = {f["rule_id"]: f for f in findings(result.out)}
        assert found["R-abc780"]["severity"] == "warn", mode
        assert "was not run" in found["R-abc780"]["message"], mode
        assert "R-abc780" in found["R-abc780"]["message"], mode
        assert "was changed" in found["R-abc781"]["message"], mode
    assert fos(factory_repo, "hooks", "install").code == 0
    git(factory_repo, "commit", "-q", "-m", "bring the rules", check=False)
    assert not marker.exists()


def test_checking_out_someones_branch_runs_none_of_the_commands_it_commits(
    factory_repo: Path, tmp_path: Path
) -> None:
    """A clone's base for its command rules is also its remote's default branch: a
    command rule committed on a branch someone checks out is reported, not run."""
    marker, reviewed = tmp_path / "pwned", tmp_path / "reviewed"
    add_rule(factory_repo, "R-abc782", {"kind": "command", "run": f"touch '{reviewed}'"})
    commit_all(factory_repo, "a reviewed command rule")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(factory_repo), str(clone))
    git(clone, "checkout", "-q", "-b", "hostile")
    add_rule(clone, "R-abc783", {"kind": "command", "run": f"echo PWNED > '{marker}'"})
    commit_all(clone, "a command of the branch's own")
    write_tree(clone, {"a.txt": "x\n"})
    git(clone, "add", "-A")
    for mode in ("--all", "--staged"):
        result = fos(clone, "check", mode, "--format", "json")
        assert not marker.exists(), mode
        assert reviewed.exists(), mode  # the default branch's rule runs
        reviewed.unlink()
        [finding] = [f for f in findings(result.out) if f["rule_id"] == "R-abc783"]
        assert "was not run" in finding["message"] and "default branch" in finding["message"]
    assert fos(clone, "hooks", "install").code == 0
    git(clone, "commit", "-q", "-m", "more", check=False)
    assert not marker.exists()
