"""Every refusal of `fos spec` and `fos signoff` names the rule it enforces and who can
unblock it, and writes nothing (real git, real commands)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import Result, snapshot
from tests.lifecycle_helpers import as_member, make_team, new_item, record, walk_to

RULE = re.compile(r"^fos: (fos:lifecycle-[a-z-]+): ", re.M)


@pytest.fixture
def work_repo(factory_repo: Path) -> Path:
    make_team(factory_repo)
    return factory_repo


def _evidence_of_a_later_stage(repo: Path, spec_id: str) -> Result:
    return record(repo, spec_id, "build")


def _evidence_of_a_passed_stage(repo: Path, spec_id: str) -> Result:
    walk_to(repo, spec_id, "spec")
    return record(repo, spec_id, "intake")


def _signing_a_later_stage(repo: Path, spec_id: str) -> Result:
    return as_member(repo, "rita", "signoff", spec_id, "--stage", "eval")


def _signing_in_a_role_that_does_not_sign(repo: Path, spec_id: str) -> Result:
    return as_member(repo, "sam", "signoff", spec_id, "--stage", "intake", "--as", "sponsor")


def _signing_in_a_role_held_by_another(repo: Path, spec_id: str) -> Result:
    return as_member(repo, "otto", "signoff", spec_id, "--stage", "intake", "--as", "owner")


def _builder_signing_as_reviewer(repo: Path, spec_id: str) -> Result:
    walk_to(repo, spec_id, "eval")
    return as_member(repo, "bob", "signoff", spec_id, "--stage", "eval", "--as", "reviewer")


def _maintenance_before_its_stage(repo: Path, spec_id: str) -> Result:
    log = repo.parent / "log.md"
    log.write_text("# Log\n\n## Re-evaluation\n\nStill passes.\n")
    return as_member(repo, "olivia", "spec", "maintain", spec_id, "--file", str(log))


def _retiring_someone_elses_item(repo: Path, spec_id: str) -> Result:
    return as_member(repo, "bob", "spec", "retire", spec_id, "--reason", "mine now")


def _transferring_a_role_of_another(repo: Path, spec_id: str) -> Result:
    move = ["spec", "transfer", spec_id, "--role", "reviewer", "--to", "otto", "--reason", "x"]
    return as_member(repo, "bob", *move)


def _transferring_to_one_without_the_role(repo: Path, spec_id: str) -> Result:
    move = ["spec", "transfer", spec_id, "--role", "reviewer", "--to", "sam", "--reason", "x"]
    return as_member(repo, "olivia", *move)


def _acting_on_a_retired_item(repo: Path, spec_id: str) -> Result:
    assert as_member(repo, "olivia", "spec", "retire", spec_id, "--reason", "gone").code == 0
    return as_member(repo, "olivia", "signoff", spec_id, "--stage", "intake")


def _a_spec_whose_risk_was_edited(repo: Path, spec_id: str) -> Result:
    walk_to(repo, spec_id, "spec")
    path = repo / ".factory" / "specs" / spec_id / "spec.md"
    path.write_text(path.read_text().replace("risk: high", "risk: low"))
    return record(repo, spec_id, "spec")


# refusal -> (the rule it names, the members it names as able to unblock it)
REFUSALS: dict[str, tuple[Callable[[Path, str], Result], str, tuple[str, ...]]] = {
    "evidence of a later stage": (_evidence_of_a_later_stage, "stage", ("olivia",)),
    "evidence of a passed stage": (_evidence_of_a_passed_stage, "stage", ()),
    "signing a later stage": (_signing_a_later_stage, "stage", ("olivia",)),
    "a role that does not sign": (_signing_in_a_role_that_does_not_sign, "signoff", ("olivia",)),
    "a role another holds": (_signing_in_a_role_held_by_another, "signoff", ("olivia",)),
    "builder as reviewer": (_builder_signing_as_reviewer, "separation-of-duties", ("olivia",)),
    "maintenance too early": (_maintenance_before_its_stage, "stage", ("maintain",)),
    "retiring another's item": (_retiring_someone_elses_item, "role", ("olivia",)),
    "transferring another's role": (_transferring_a_role_of_another, "role", ("olivia",)),
    "transfer to a non-holder": (_transferring_to_one_without_the_role, "role", ("rita", "otto")),
    "a retired item": (_acting_on_a_retired_item, "stage", ("fos spec new",)),
    "a spec's risk edited": (_a_spec_whose_risk_was_edited, "hand-edit", ("risk: high",)),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_refusal_names_its_rule_and_who_can_unblock_it(work_repo: Path, name: str) -> None:
    act, rule, unblock = REFUSALS[name]
    spec_id = new_item(work_repo)
    walks = (
        _evidence_of_a_passed_stage,
        _builder_signing_as_reviewer,
        _a_spec_whose_risk_was_edited,
    )
    before = None if act in walks else snapshot(work_repo)
    result = act(work_repo, spec_id)
    assert result.code == 1, result.output
    found = RULE.search(result.err)
    assert found is not None and found.group(1) == f"fos:lifecycle-{rule}", result.err
    for who in unblock:
        assert who in result.err, result.err
    if before is not None and act is not _acting_on_a_retired_item:
        assert snapshot(work_repo) == before
