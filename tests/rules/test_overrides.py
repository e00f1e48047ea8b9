from __future__ import annotations

from factory_os.rules.finding import Finding
from factory_os.rules.overrides import Override, apply, covers, marked

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
    assert note.rule_id == "fos:override-ignored" and "ana granted it" in note.message


def test_apply_marks_only_what_an_unexpired_override_covers() -> None:
    kept = finding(path="docs/a.md")
    applied = apply(
        [finding(), kept], [override(), override(id="OVR-old", expires_at=NOW)], now=NOW
    )
    assert [o.id if o else None for _, o in applied.findings] == ["OVR-0a0a0a", None]
    assert applied.notes == []


def test_marked_findings_keep_their_severity_and_stop_blocking() -> None:
    applied = apply([finding(), finding(path="docs/a.md")], [override()], now=NOW)
    lifted, kept = marked(applied)
    assert lifted.severity == "block" and not lifted.blocking
    assert lifted.overridden is not None
    assert lifted.overridden._asdict() == {
        "id": "OVR-0a0a0a",
        "granted_by": "ana",
        "justification": "hotfix",
        "expires_at": "2026-12-01T12:00:00Z",
    }
    assert lifted.as_json()["overridden"]["granted_by"] == "ana"
    assert kept.blocking and kept.overridden is None and kept.as_json()["overridden"] is None


def test_of_several_overrides_the_one_lasting_longest_is_named() -> None:
    early = override(id="OVR-early", expires_at="2026-12-01T11:00:00Z")
    late = override(id="OVR-late", expires_at="2026-12-01T13:00:00Z", targets=("src/a.py",))
    [(_, chosen)] = apply([finding()], [early, late], now=NOW).findings
    assert chosen is not None and chosen.id == "OVR-late"


def test_an_override_of_the_granters_own_change_yields_to_another_granters() -> None:
    own = override(id="OVR-own", granted_by="forge")
    [(_, chosen)] = apply([finding()], [own, override()], now=NOW).findings
    assert chosen is not None and chosen.id == "OVR-0a0a0a"
