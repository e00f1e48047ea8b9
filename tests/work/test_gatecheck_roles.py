"""Who holds a role on a work item changes only as `fos spec transfer` allows, and an item
is retired only by its owner, in a pull request as in the CLI (real git ranges)."""

from __future__ import annotations

from pathlib import Path

from tests.work.range_helpers import check
from tests.work.test_gatecheck import act, commit_as, forge, item, work_repo

__all__ = ["item", "work_repo"]  # the fixtures


def test_a_transfer_written_by_someone_who_may_not_is_blocked(
    item: tuple[Path, str, str],
) -> None:
    repo, spec_id, base = item
    data = {"role": "owner", "from": "olivia", "to": "otto", "reason": "mine to give"}
    forge(repo, kind="owner.transferred", actor="bob", subject=spec_id, data=data)
    commit_as(repo, "bob", "take the item over")
    [finding] = check(repo, base)
    assert finding.rule_id == "fos:lifecycle-role" and finding.blocking
    assert "bob may not transfer the owner" in finding.message and "olivia" in finding.message


def test_a_transfer_to_a_member_without_the_role_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    forge(repo, kind="owner.transferred", actor="olivia", subject=spec_id,
          data={"role": "reviewer", "from": "rita", "to": "sam", "reason": "x"})  # fmt: skip
    commit_as(repo, "olivia")
    [finding] = check(repo, base)
    assert finding.rule_id == "fos:lifecycle-role"
    assert "sam does not hold the role reviewer" in finding.message


def test_a_retirement_by_someone_but_the_owner_is_blocked(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    forge(repo, kind="spec.retired", actor="bob", subject=spec_id, data={"reason": "done"})
    commit_as(repo, "bob")
    [finding] = check(repo, base)
    assert finding.rule_id == "fos:lifecycle-role" and "only the owner" in finding.message


def test_a_transfer_and_a_retirement_through_the_cli_pass(item: tuple[Path, str, str]) -> None:
    repo, spec_id, base = item
    act(repo, "rita", "spec", "transfer", spec_id, "--role", "reviewer", "--to", "otto",
        "--reason", "on leave")  # fmt: skip
    act(repo, "olivia", "spec", "transfer", spec_id, "--to", "otto", "--reason", "moving on")
    act(repo, "otto", "spec", "retire", spec_id, "--reason", "replaced")
    assert check(repo, base) == []
