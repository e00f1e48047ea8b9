from __future__ import annotations

from pathlib import Path

import pytest

from factory_os import store
from factory_os.ledger import events
from factory_os.work import override_records
from tests.governance import act_as, secret_rule
from tests.helpers import commit_all, fos, git

NOW = "2026-12-01T10:00:00Z"
EMAILS = {f"{m}@example.com": m for m in ("ana", "ben", "forge", "lens", "test")}


def grant(repo: Path, rule: str, paths: str) -> str:
    result = fos(repo, "override", "grant", "--rule", rule, "--paths", paths,
                 "--justification", "hotfix", "--ttl", "2h")  # fmt: skip
    assert result.code == 0, result.output
    return result.out.split()[0]


def forge_grant(repo: Path, rule: str) -> str:
    """An override.granted line that claims ana granted it, written by hand."""
    events.append(
        store.find_factory(repo),
        kind="override.granted",
        actor="ana",
        subject=rule,
        data={
            "id": "OVR-f0f0f0",
            "rule": rule,
            "scope": "paths",
            "targets": ["src/**"],
            "justification": "trust me",
            "granted_by": "ana",
            "ttl_seconds": 7200,
            "expires_at": "2026-12-01T12:00:00Z",
        },
    )
    return "OVR-f0f0f0"


@pytest.fixture
def ruled(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A repository with a blocking rule, ana acting, at 09:00."""
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    rule = secret_rule(team_repo)
    act_as(team_repo, "ana")
    return team_repo, rule


def test_a_range_honours_an_override_its_granter_committed_and_not_a_forged_one(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    from_base = grant(repo, rule, "docs/**")
    commit_all(repo, "an override, merged earlier")
    base = git(repo, "rev-parse", "HEAD")
    honest = grant(repo, rule, "lib/**")
    commit_all(repo, "ana grants an override in the pull request")
    act_as(repo, "forge")
    forged = forge_grant(repo, rule)
    commit_all(repo, "forge adds an override in ana's name")
    head = git(repo, "rev-parse", "HEAD")

    kept, notes = override_records.for_range(repo, [f"{base}..{head}"], head, NOW, EMAILS.get)
    assert sorted(o.id for o in kept) == sorted([from_base, honest])
    [note] = notes
    assert note.rule_id == "fos:override" and note.commit == head
    assert forged in note.message and "by forge, not by ana" in note.message


def test_a_staged_check_reads_the_work_tree_and_drops_revoked_and_expired(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    kept = grant(repo, rule, "src/**")
    revoked = grant(repo, rule, "lib/**")
    cache = repo / ".git" / "fos"
    ids = [o.id for o in override_records.for_staged(repo, NOW, cache)]
    assert sorted(ids) == sorted([kept, revoked])
    assert fos(repo, "override", "revoke", revoked).code == 0  # read from where it stopped
    assert [o.id for o in override_records.for_staged(repo, NOW, cache)] == [kept]
    assert [o.id for o in override_records.for_staged(repo, NOW)] == [kept]
    assert override_records.for_staged(repo, "2026-12-01T11:00:00Z", cache) == []
