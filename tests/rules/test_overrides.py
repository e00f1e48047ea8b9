from __future__ import annotations

from factory_os.rules.finding import Finding
from factory_os.rules.overrides import Override, apply, covers

NOW = "2026-12-01T10:00:00Z"


def override(scope: str = "paths", targets: tuple[str, ...] = ("src/**",), **kw: str) -> Override:
    values = {
        "id": "OVR-0a0a0a",
        "rule": "R-5ec4e7",
        "granted_by": "ana",
        "justification": "hotfix",
        "expires_at": "2026-12-01T12:00:00Z",
        **kw,
    }
    return Override(scope=scope, targets=targets, **values)  # type: ignore[arg-type]


def finding(**kw: object) -> Finding:
    values: dict[str, object] = {
        "rule_id": "R-5ec4e7",
        "severity": "block",
        "message": "SECRET",
        "path": "src/a.py",
        "line": 1,
        "commit": None,
        "member": "forge",
    }
    values.update(kw)
    return Finding(**values)  # type: ignore[arg-type]


def test_an_override_covers_its_rule_on_its_paths_until_it_expires() -> None:
    assert covers(override(), finding(), now=NOW)
    assert covers(override(), finding(), now="2026-12-01T11:59:59Z")
    assert not covers(override(), finding(), now="2026-12-01T12:00:00Z")


def test_another_rule_or_path_is_not_covered() -> None:
    assert not covers(override(), finding(rule_id="R-0b0b0b"), now=NOW)
    assert not covers(override(), finding(path="docs/a.md"), now=NOW)
    assert not covers(override(), finding(path=None), now=NOW)


def test_commit_and_run_scopes() -> None:
    sha = "a" * 40
    assert covers(override("commit", (sha,)), finding(commit=sha), now=NOW)
    assert not covers(override("commit", (sha,)), finding(commit="b" * 40), now=NOW)
    assert not covers(override("commit", (sha,)), finding(), now=NOW)  # staged: no commit
    assert covers(override("run", ("run_0a1b2c3d",)), finding(), now=NOW, run="run_0a1b2c3d")
    assert not covers(override("run", ("run_0a1b2c3d",)), finding(), now=NOW)


def test_the_granter_never_lifts_a_rule_for_their_own_change_and_is_told() -> None:
    applied = apply([finding(member="ana")], [override()], now=NOW)
    assert applied.findings == [(finding(member="ana"), None)]
    [note] = applied.notes
    assert note.rule_id == "fos:override" and "ana granted it" in note.message


def test_apply_marks_only_what_an_unexpired_override_covers() -> None:
    kept = finding(path="docs/a.md")
    applied = apply(
        [finding(), kept], [override(), override(id="OVR-old", expires_at=NOW)], now=NOW
    )
    assert [o.id if o else None for _, o in applied.findings] == ["OVR-0a0a0a", None]
    assert applied.notes == []
