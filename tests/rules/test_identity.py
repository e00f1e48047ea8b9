from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.checks_helpers import commit_as, findings, set_team
from tests.helpers import commit_all, fos, git, write_tree

BOB = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}
CEO = {"id": "ceo", "roles": ["ceo"], "emails": ["ceo@example.com"]}


def _range(repo: Path, base: str) -> list[dict[str, object]]:
    return findings(fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json").out)


def test_claiming_another_members_identity_is_blocked(factory_repo: Path) -> None:
    set_team(factory_repo, BOB, CEO)
    base = commit_all(factory_repo, "team")
    write_tree(factory_repo, {"a.txt": "x\n"})
    commit_as(factory_repo, "bob@example.com", "x\n\nFactory-Member: ceo")
    [finding] = _range(factory_repo, base)
    assert finding["rule_id"] == "fos:identity" and finding["severity"] == "block"
    assert "Factory-Member: ceo does not match the author email bob@example.com" in str(
        finding["message"]
    )


def test_a_matching_trailer_names_the_member(factory_repo: Path) -> None:
    set_team(factory_repo, BOB, {"id": "bot", "roles": ["ceo"], "emails": ["bob@example.com"]})
    base = commit_all(factory_repo, "team")
    write_tree(factory_repo, {"src/x.py": "x\n"})
    commit_as(factory_repo, "bob@example.com", "x\n\nFactory-Member: bob")
    assert _range(factory_repo, base) == []


def test_unknown_author_severity_comes_from_factory_yaml(factory_repo: Path) -> None:
    base = git(factory_repo, "rev-parse", "HEAD")
    write_tree(factory_repo, {"a.txt": "x\n"})
    commit_as(factory_repo, "stranger@example.com")
    [finding] = _range(factory_repo, base)
    assert (finding["rule_id"], finding["severity"]) == ("fos:identity", "block")
    config = factory_repo / ".factory" / "factory.yaml"
    config.write_text(config.read_text().replace("unknown_author: block", "unknown_author: warn"))
    base = commit_all(factory_repo, "relax")
    write_tree(factory_repo, {"b.txt": "x\n"})
    commit_as(factory_repo, "stranger@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 0
    assert [f["severity"] for f in findings(result.out)] == ["warn"]


def test_unsigned_commits_are_refused_when_signing_is_required(factory_repo: Path) -> None:
    config = factory_repo / ".factory" / "factory.yaml"
    config.write_text(
        config.read_text().replace("require_signed_commits: false", "require_signed_commits: true")
    )
    base = commit_all(factory_repo, "require signatures")
    write_tree(factory_repo, {"a.txt": "x\n"})
    commit_as(factory_repo, "test@example.com")
    [finding] = _range(factory_repo, base)
    assert finding["rule_id"] == "fos:signature" and "is not signed" in str(finding["message"])


def _signing_key(tmp_path: Path, name: str) -> tuple[Path, str]:
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key, (tmp_path / f"{name}.pub").read_text().strip()


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_ssh_signatures_are_verified_against_the_team_keys(
    factory_repo: Path, tmp_path: Path
) -> None:
    key, public = _signing_key(tmp_path, "bob")
    other, _ = _signing_key(tmp_path, "mallory")
    team = factory_repo / ".factory" / "team.yaml"
    set_team(factory_repo, BOB)
    team.write_text(team.read_text() + f"    signing_keys: [{json.dumps(public)}]\n")
    config = factory_repo / ".factory" / "factory.yaml"
    config.write_text(
        config.read_text().replace("require_signed_commits: false", "require_signed_commits: true")
    )
    base = commit_all(factory_repo, "keys")
    git(factory_repo, "config", "gpg.format", "ssh")
    git(factory_repo, "config", "user.signingkey", str(key))
    write_tree(factory_repo, {"a.txt": "x\n"})
    commit_as(factory_repo, "bob@example.com", "signed", "-S")
    assert _range(factory_repo, base) == []
    git(factory_repo, "config", "user.signingkey", str(other))
    write_tree(factory_repo, {"b.txt": "x\n"})
    commit_as(factory_repo, "bob@example.com", "signed by another key", "-S")
    [finding] = _range(factory_repo, base)
    assert finding["rule_id"] == "fos:signature"
    assert "git cannot check" in str(finding["message"])


def _gpg_key(home: Path, uid: str) -> str:
    """A new GPG signing key for UID in HOME's keyring; its fingerprint."""
    gpg = ["gpg", "--homedir", str(home), "--batch", "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", uid, "ed25519", "sign", "never"], check=True)
    listing = subprocess.run(
        [*gpg, "--with-colons", "--list-secret-keys", uid],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))


@pytest.mark.skipif(shutil.which("gpg") is None, reason="needs gpg")
def test_gpg_signatures_are_matched_by_email_or_by_fingerprint(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="gpg", dir="/tmp"))  # short: gpg-agent's socket
    home.chmod(0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    olga = _gpg_key(home, "Olga <olga@example.com>")
    other = _gpg_key(home, "Olga Again <olga@example.com>")
    try:
        set_team(factory_repo, {"id": "olga", "roles": ["owner"], "emails": ["olga@example.com"]})
        config = factory_repo / ".factory" / "factory.yaml"
        config.write_text(
            config.read_text().replace(
                "require_signed_commits: false", "require_signed_commits: true"
            )
        )
        base = commit_all(factory_repo, "require signatures")
        git(factory_repo, "config", "user.signingkey", olga)
        write_tree(factory_repo, {"a.txt": "x\n"})
        commit_as(factory_repo, "olga@example.com", "signed", "-S")
        assert _range(factory_repo, base) == []  # %GS is `Olga <olga@example.com>`
        # with keys in team.yaml, the fingerprint decides, not the user id
        team = factory_repo / ".factory" / "team.yaml"
        team.write_text(team.read_text() + f"    signing_keys: [{olga}]\n")
        base = commit_all(factory_repo, "olga's key")
        git(factory_repo, "config", "user.signingkey", other)
        write_tree(factory_repo, {"b.txt": "x\n"})
        commit_as(factory_repo, "olga@example.com", "signed by another key", "-S")
        [finding] = _range(factory_repo, base)
        assert finding["rule_id"] == "fos:signature" and "not by olga" in str(finding["message"])
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def test_resolving_an_identity_returns_it_and_leaves_the_change_alone() -> None:
    from factory_os.rules.change import Change
    from factory_os.rules.compiled import Member, RuleSet
    from factory_os.rules.identity import resolve

    dev = Member("dev", ("builder",), ("dev@example.com",))
    ruleset = RuleSet([], [dev])
    change = Change("c1", [], author_email="Dev@Example.com")
    assert resolve(change, ruleset) == (dev, [], False)
    assert change.member is None
    claimed = Change("c2", [], author_email="x@example.com", trailers=[("Factory-Member", "dev")])
    member, findings, unknown = resolve(claimed, ruleset)
    assert member is None and [f.rule_id for f in findings] == ["fos:identity"]
    assert not unknown  # the claim is the finding
