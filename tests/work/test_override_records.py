from __future__ import annotations

from pathlib import Path

import pytest

from factory_os.ledger.line import DOMAIN, encode
from factory_os.rules import overrides, pathmatch
from factory_os.rules.finding import Finding
from factory_os.rules.seam import LedgerLine
from factory_os.work import override_index, override_records
from tests.governance import act_as, secret_rule
from tests.helpers import commit_all, fos, git

NOW = "2026-12-01T10:00:00Z"


def grant(repo: Path, rule: str, paths: str) -> str:
    result = fos(repo, "override", "grant", "--rule", rule, "--paths", paths,
                 "--justification", "hotfix", "--ttl", "2h")  # fmt: skip
    assert result.code == 0, result.output
    return result.out.split()[0]


@pytest.fixture
def ruled(team_repo: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A repository with a blocking rule, ana acting, at 09:00."""
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    rule = secret_rule(team_repo)
    act_as(team_repo, "ana")
    return team_repo, rule


def grant_line(
    ident: str, granted_by: str = "ana", expires_at: str = "2026-12-01T12:00:00Z"
) -> str:
    """An `override.granted` ledger line, as `fos override grant` writes one."""
    data = {"id": ident, "rule": "R-5ec4e7", "scope": "paths", "targets": ["src/**"],
            "justification": "hotfix", "granted_by": granted_by, "ttl_seconds": 7200,
            "expires_at": expires_at}  # fmt: skip
    fields = {"v": 1, "kind": "override.granted", "at": "2026-12-01T09:00:00Z",
              "actor": granted_by, "subject": "R-5ec4e7", "refs": [], "parents": [],
              "data": data}  # fmt: skip
    return encode(fields)[1].decode().rstrip("\n")


def test_a_range_honours_the_bases_overrides_and_those_their_granter_added(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    from_base = grant(repo, rule, "docs/**")
    base = commit_all(repo, "an override, merged earlier")
    honest, forged = grant_line("OVR-0a0a0a"), grant_line("OVR-f0f0f0")
    added = [
        LedgerLine("c" * 40, "ana", "ana@example.com", honest),
        LedgerLine("d" * 40, "forge", "forge@example.com", forged),
    ]
    dropped, notes = override_records.unvouched(added)
    assert dropped == {forged.encode()}
    [note] = notes
    assert note.rule_id == "fos:override-ignored" and note.commit == "d" * 40
    assert "OVR-f0f0f0 is ignored" in note.message and "by forge, not by ana" in note.message
    kept = override_records.for_range(repo, base, added, dropped)
    assert sorted(o.id for o in kept) == sorted([from_base, "OVR-0a0a0a"])
    assert override_records.for_range(repo, None, added, dropped)[0].id == "OVR-0a0a0a"


def test_a_line_that_is_not_what_its_id_hashes_is_passed_over() -> None:
    line = grant_line("OVR-0a0a0a")
    edited = line.replace("2026-12-01T12:00:00Z", "2027-12-01T12:00:00Z")
    assert list(override_records.parse([line.encode()])[0]) == ["OVR-0a0a0a"]
    assert override_records.parse([edited.encode()]) == ({}, set())
    assert override_records.DOMAIN == DOMAIN


def _in_index(repo: Path) -> list[str]:
    grouped = override_index.in_index(repo, repo / ".git").grouped
    return sorted(entry[1] for groups in grouped.values() for g in groups for entry in g[4])


def test_a_staged_check_reads_the_index_and_drops_revoked_and_expired(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    kept = grant(repo, rule, "src/**")
    revoked = grant(repo, rule, "lib/**")
    assert _in_index(repo) == []  # the work tree's alone: no one's commit yet
    git(repo, "add", "-A")
    assert _in_index(repo) == sorted([kept, revoked])
    assert fos(repo, "override", "revoke", revoked).code == 0
    assert _in_index(repo) == sorted([kept, revoked])
    git(repo, "add", "-A")  # the segment grew: what follows is read
    assert _in_index(repo) == [kept]
    commit_all(repo, "granted and revoked")
    assert _in_index(repo) == [kept]
    (repo / ".git" / override_index.CACHE_FILE).unlink()
    assert _in_index(repo) == [kept]  # read afresh, the same
    monkeypatch.setenv("FOS_NOW", "2026-12-01T11:00:00Z")
    assert fos(repo, "sweep").code in (0, 1)  # records the expiry
    commit_all(repo, "expired")
    assert _in_index(repo) == []


def test_a_segment_the_index_holds_rewritten_is_read_again_whole(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    grant(repo, rule, "src/**")
    commit_all(repo, "granted")
    [segment] = [p for p in (repo / ".factory" / "ledger").iterdir() if "override" in p.read_text()]
    assert len(_in_index(repo)) == 1
    other = grant_line("OVR-0c0c0c")
    # as long as what was read, or longer, but not beginning with it
    segment.write_text(other + "\n" + "x" * len(segment.read_text()) + "\n")
    git(repo, "add", "-A")
    assert _in_index(repo) == ["OVR-0c0c0c"]


def test_the_index_named_in_the_environment_is_the_one_read(
    ruled: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, rule = ruled
    ident = grant(repo, rule, "src/**")
    assert _in_index(repo) == []
    other = repo / ".git" / "other-index"
    monkeypatch.setenv("GIT_INDEX_FILE", str(other))
    git(repo, "read-tree", "HEAD")
    git(repo, "add", "-A")
    assert _in_index(repo) == [ident]
    monkeypatch.delenv("GIT_INDEX_FILE")
    assert _in_index(repo) == []


def test_the_staged_read_keeps_the_paths_translated_and_matches_as_pathmatch_does(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    grant(repo, rule, "src/**")
    git(repo, "add", "-A")
    override_index.in_index(repo, repo / ".git")
    grouped = override_index.in_index(repo, repo / ".git").grouped  # from the cache
    [[group]] = grouped.values()
    for path in ("src/a.py", "src/deep/b.py", "docs/src/a.py", "srcx/a.py"):
        found = finding(path)
        assert overrides._in_scope(group, found, None) == pathmatch.matches(group[1], path), path


def finding(path: str) -> Finding:
    return Finding("R-5ec4e7", "block", "SECRET", path, member="forge")


def test_unstaged_names_the_overrides_the_index_does_not_hold(ruled: tuple[Path, str]) -> None:
    repo, rule = ruled
    committed = grant(repo, rule, "src/**")
    commit_all(repo, "granted")
    assert override_records.unstaged(repo) == []
    loose = grant(repo, rule, "lib/**")  # appended to a committed segment, or a new one
    assert [o.id for o in override_records.unstaged(repo)] == [loose]
    git(repo, "add", "-A")
    assert override_records.unstaged(repo) == []
    assert committed != loose


def test_a_range_replays_its_bases_ledger_by_blob_as_the_base_moves(
    ruled: tuple[Path, str],
) -> None:
    repo, rule = ruled
    kept = grant(repo, rule, "src/**")
    revoked = grant(repo, rule, "lib/**")
    first = commit_all(repo, "granted")
    common = repo / ".git"
    added = [LedgerLine("c" * 40, "ana", "ana@example.com", grant_line("OVR-0a0a0a"))]

    def ids(base: str) -> list[str]:
        found = override_records.for_range(repo, base, added, set(), "", common)
        assert sorted(o.id for o in found) == sorted(
            o.id for o in override_records.for_range(repo, base, added, set())
        )
        return sorted(o.id for o in found)

    assert ids(first) == sorted([kept, revoked, "OVR-0a0a0a"])
    assert fos(repo, "override", "revoke", revoked).code == 0
    second = commit_all(repo, "revoked")  # the segment grew: only what follows is parsed
    assert ids(second) == sorted([kept, "OVR-0a0a0a"])
    assert ids(first) == sorted([kept, revoked, "OVR-0a0a0a"])  # a commit's ledger stays
