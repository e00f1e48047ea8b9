"""An override.granted line can be written by hand, with a paths target that is no
valid glob (`src/[`). Such an override covers nothing: the check reports the finding
it would have lifted and says why the override does not apply, in every mode, and
never stops on the glob. An ignored grant's targets are not even read."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from tests.commands.test_check_overrides import EXPIRES, ruled, stage_secret
from tests.governance import act_as
from tests.helpers import commit_all, fos, git

__all__ = ["ruled"]

IDENT = "OVR-0b0b0b"


def _grant(repo: Path, rule: str, granter: str, target: str) -> None:
    events.append(store.find_factory(repo), kind="override.granted", actor=granter,
                  subject=rule, data={"id": IDENT, "rule": rule, "scope": "paths",
                                      "targets": [target], "justification": "mine",
                                      "granted_by": granter, "ttl_seconds": 7200,
                                      "expires_at": EXPIRES})  # fmt: skip


@pytest.mark.parametrize("target", ["src/**", "src/["])
def test_an_ignored_grant_with_a_bad_glob_leaves_the_finding_reported(
    ruled: tuple[Path, str], target: str
) -> None:
    """forge, a builder, grants themselves an override in the change that needs it:
    ignored either way, whatever its target."""
    repo, rule = ruled
    stage_secret(repo)  # forge, the builder, adds SECRET under src/
    _grant(repo, rule, "forge", target)
    git(repo, "add", "-A")
    staged = fos(repo, "check", "--staged")
    sarif = fos(repo, "check", "--staged", "--format", "sarif")
    git(repo, "commit", "-q", "--no-verify", "-m", "secret, and an override of my own")
    ranged = fos(repo, "check", "--range", "HEAD~1..HEAD")
    for result in (staged, ranged):
        assert result.code == 1, result.output
        assert rule in result.out and "error" not in result.output.lower(), result.output
        assert f"{IDENT} is ignored" in result.out, result.out
    assert sarif.code == 1 and '"runs"' in sarif.out, sarif.output


@pytest.mark.parametrize("target", ["src/[", "[!]"])
def test_a_granted_override_with_a_bad_glob_covers_nothing_in_the_hooks(
    ruled: tuple[Path, str], target: str
) -> None:
    """ana, who may grant, committed the bad grant earlier: the commit hook (staged,
    from the index's replay) and a range check report the finding it would have
    lifted, and say why the override does not apply."""
    repo, rule = ruled
    act_as(repo, "ana")
    _grant(repo, rule, "ana", target)
    commit_all(repo, "an override with a bad target")
    assert fos(repo, "hooks", "install").code == 0
    stage_secret(repo)
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "secret"], cwd=repo, capture_output=True, text=True
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert rule in output and "unexpected error" not in output, output
    assert f"{IDENT} does not apply: it covers nothing: invalid glob" in output, output
    git(repo, "commit", "-q", "--no-verify", "-m", "secret")
    ranged = fos(repo, "check", "--range", "HEAD~1..HEAD")
    assert ranged.code == 1 and rule in ranged.out, ranged.output
    assert f"{IDENT} does not apply: it covers nothing" in ranged.out, ranged.output


def test_a_valid_grant_still_lifts_the_finding_in_the_hook(ruled: tuple[Path, str]) -> None:
    """The control: the same grant with a valid target lets the commit through."""
    repo, rule = ruled
    act_as(repo, "ana")
    _grant(repo, rule, "ana", "src/**")
    commit_all(repo, "an override")
    assert fos(repo, "hooks", "install").code == 0
    stage_secret(repo)
    proc = subprocess.run(
        ["git", "commit", "-q", "-m", "secret"], cwd=repo, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
