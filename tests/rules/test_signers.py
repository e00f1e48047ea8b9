"""Where signed commits are required, the base's keys decide who signed: a pull
request cannot bring the keys that vouch for its own commits."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.checks_helpers import commit_as, findings, set_team
from tests.helpers import commit_all, fos, git, write_tree

BOB = {"id": "bob", "roles": ["builder"], "emails": ["bob@example.com"]}

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")


def _key(tmp_path: Path, name: str) -> tuple[Path, str]:
    key = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key, (tmp_path / f"{name}.pub").read_text().strip()


def _require_signatures(repo: Path, extra: str = "") -> None:
    config = repo / ".factory" / "factory.yaml"
    config.write_text(
        config.read_text().replace(
            "require_signed_commits: false", f"require_signed_commits: true{extra}"
        )
    )


def _bob_signs_with(repo: Path, public: str) -> str:
    """The team is bob, factory.yaml requires signed commits checked against
    keys/allowed_signers, which lists PUBLIC as bob's key; the commit."""
    set_team(repo, BOB)
    write_tree(repo, {"keys/allowed_signers": f"bob@example.com {public}\n"})
    _require_signatures(repo, "\n  allowed_signers: keys/allowed_signers")
    return commit_all(repo, "keys")


def _signature_findings(repo: Path, base: str) -> list[dict[str, object]]:
    result = fos(repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    return [f for f in findings(result.out) if f["rule_id"] == "fos:signature"]


def test_a_member_the_pull_request_adds_does_not_bring_trusted_keys(
    factory_repo: Path, tmp_path: Path
) -> None:
    bob_key, bob_public = _key(tmp_path, "bob")
    mallory_key, mallory_public = _key(tmp_path, "mallory")
    team = factory_repo / ".factory" / "team.yaml"
    set_team(factory_repo, BOB)
    team.write_text(team.read_text() + f"    signing_keys: [{json.dumps(bob_public)}]\n")
    _require_signatures(factory_repo)
    base = commit_all(factory_repo, "keys")
    git(factory_repo, "config", "gpg.format", "ssh")
    git(factory_repo, "config", "user.signingkey", str(mallory_key))
    mallory = {"id": "mallory", "roles": ["builder"], "emails": ["mallory@example.com"]}
    set_team(factory_repo, BOB, mallory)
    team.write_text(
        team.read_text().replace(
            '    emails: ["bob@example.com"]\n',
            f'    emails: ["bob@example.com"]\n    signing_keys: [{json.dumps(bob_public)}]\n',
        )
        + f"    signing_keys: [{json.dumps(mallory_public)}]\n"
    )
    commit_as(factory_repo, "mallory@example.com", "join the team", "-S")
    write_tree(factory_repo, {"a.txt": "x\n"})
    sha = commit_as(factory_repo, "mallory@example.com", "work", "-S")
    found = _signature_findings(factory_repo, base)
    assert sha in {f["commit"] for f in found}
    assert all("git cannot check" in str(f["message"]) for f in found)
    # bob's key, which the base lists, still vouches for bob
    git(factory_repo, "config", "user.signingkey", str(bob_key))
    base = git(factory_repo, "rev-parse", "HEAD")
    write_tree(factory_repo, {"b.txt": "x\n"})
    commit_as(factory_repo, "bob@example.com", "bob's work", "-S")
    assert _signature_findings(factory_repo, base) == []


def test_the_allowed_signers_file_is_read_from_the_base(factory_repo: Path, tmp_path: Path) -> None:
    bob_key, bob_public = _key(tmp_path, "bob")
    mallory_key, mallory_public = _key(tmp_path, "mallory")
    base = _bob_signs_with(factory_repo, bob_public)
    git(factory_repo, "config", "gpg.format", "ssh")
    git(factory_repo, "config", "user.signingkey", str(mallory_key))
    # the pull request lists mallory's key as bob's, and signs bob's commits with it
    with (factory_repo / "keys" / "allowed_signers").open("a") as f:
        f.write(f"bob@example.com {mallory_public}\n")
    first = commit_as(factory_repo, "bob@example.com", "more keys", "-S")
    write_tree(factory_repo, {"a.txt": "x\n"})
    second = commit_as(factory_repo, "bob@example.com", "work", "-S")
    found = _signature_findings(factory_repo, base)
    assert {f["commit"] for f in found} == {first, second}
    git(factory_repo, "config", "user.signingkey", str(bob_key))
    base = git(factory_repo, "rev-parse", "HEAD")
    write_tree(factory_repo, {"b.txt": "x\n"})
    commit_as(factory_repo, "bob@example.com", "bob's work", "-S")
    assert _signature_findings(factory_repo, base) == []


def _files_holding(directory: Path, text: str) -> dict[Path, bytes]:
    files = (p for p in directory.rglob("*") if p.is_file())
    return {p: data for p in files if text.encode() in (data := p.read_bytes())}


def test_a_check_never_rewrites_the_keys_another_check_may_be_reading(
    factory_repo: Path, tmp_path: Path
) -> None:
    # two pushes received at once are checked against two bases: each check's keys
    # file must stay as it wrote it while git verifies signatures with it
    _, bob_public = _key(tmp_path, "bob")
    _, carol_public = _key(tmp_path, "carol")
    first_base = _bob_signs_with(factory_repo, bob_public)
    write_tree(factory_repo, {"keys/allowed_signers": f"bob@example.com {carol_public}\n"})
    second_base = commit_all(factory_repo, "other keys")
    write_tree(factory_repo, {"a.txt": "x\n"})
    commit_all(factory_repo, "work")
    _signature_findings(factory_repo, first_base)
    kept = _files_holding(factory_repo / ".git" / "factory-os", bob_public)
    assert kept
    _signature_findings(factory_repo, second_base)
    assert {p: p.read_bytes() for p in kept if p.exists()} == kept
