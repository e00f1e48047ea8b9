from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from factory_os import atomic
from factory_os.memory.packs import pack_files
from tests.helpers import fos, git, snapshot, write_tree

ROLES = ("ceo", "builder", "quality", "devops", "owner", "reviewer", "safety-lead", "sponsor")
RACI = {
    "intake": {"owner": "A/R", "builder": "C", "reviewer": "I", "safety-lead": "C", "sponsor": "I"},
    "rank": {"owner": "C", "builder": "C", "reviewer": "I", "safety-lead": "C", "sponsor": "A/R"},
    "spec": {"owner": "A", "builder": "R", "reviewer": "C", "safety-lead": "C", "sponsor": "I"},
    "build": {"owner": "A", "builder": "R", "reviewer": "C", "safety-lead": "I", "sponsor": "I"},
    "eval": {"owner": "I", "builder": "R", "reviewer": "A", "safety-lead": "C", "sponsor": "I"},
    "red-team": {
        "owner": "I",
        "builder": "R",
        "reviewer": "C",
        "safety-lead": "A/R",
        "sponsor": "I",
    },
    "port": {"owner": "I", "builder": "R", "reviewer": "A", "safety-lead": "I", "sponsor": "I"},
    "launch": {"owner": "A/R", "builder": "C", "reviewer": "C", "safety-lead": "C", "sponsor": "A"},
    "maintain": {
        "owner": "A/R",
        "builder": "C",
        "reviewer": "C",
        "safety-lead": "C",
        "sponsor": "I",
    },
}
CORE_RULES = {path.stem for path in pack_files("core")}
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(?P<ref>\S+)$")


def load(path: Path) -> object:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_init_outside_a_git_work_tree_writes_nothing(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    result = fos(tmp_path, "init")
    assert result.code == 4
    assert "not inside a git work tree" in result.err
    assert "Traceback" not in result.output
    assert snapshot(tmp_path) == before
    assert list(tmp_path.iterdir()) == []


def test_init_inside_the_git_directory_is_refused(repo: Path) -> None:
    before = snapshot(repo)
    assert fos(repo / ".git", "init").code == 4
    assert snapshot(repo) == before
    assert not (repo / ".git" / ".factory").exists()


def test_init_creates_the_factory_layout(repo: Path) -> None:
    result = fos(repo, "init")
    assert result.code == 0, result.output
    factory = repo / ".factory"
    for name in ("factory.yaml", "DNA.md", "team.yaml", "roles.yaml", "raci.yaml"):
        assert (factory / name).is_file(), name
    for name in ("rules", "knowledge", "incidents", "digests", "specs", "runs"):
        assert (factory / name).is_dir(), name
    for name in ("knowledge", "incidents", "digests", "specs", "runs"):
        assert [p.name for p in (factory / name).iterdir() if p.name != ".gitkeep"] == []
    assert not list(repo.glob(".factory.init-*")), "the staging directory is left behind"


def test_init_writes_the_roles_with_may_and_cannot(repo: Path) -> None:
    fos(repo, "init")
    roles = load(repo / ".factory" / "roles.yaml")["roles"]  # type: ignore[index]
    assert tuple(roles) == ROLES
    for name, role in roles.items():
        assert role["description"], name
        assert role["may"]["actions"], name
    for name in ("ceo", "builder", "quality", "devops"):
        assert roles[name]["cannot"]["actions"], name


def test_init_writes_the_raci_matrix_and_separation_of_duties(repo: Path) -> None:
    fos(repo, "init")
    raci = load(repo / ".factory" / "raci.yaml")
    assert raci["roles"] == ["owner", "builder", "reviewer", "safety-lead", "sponsor"]  # type: ignore[index]
    assert raci["stages"] == RACI  # type: ignore[index]
    for stage, row in raci["stages"].items():  # type: ignore[index]
        assert any("A" in value for value in row.values()), f"{stage} has no A"
    duties = {tuple(d["roles"]): d["rule"] for d in raci["separation_of_duties"]}  # type: ignore[index]
    assert duties[("builder", "reviewer")] == "never"
    assert duties[("builder", "safety-lead")] == "never"


def test_init_copies_the_core_pack(repo: Path) -> None:
    fos(repo, "init")
    rules = repo / ".factory" / "rules"
    assert {p.stem for p in rules.glob("*.yaml")} == CORE_RULES
    for path in rules.glob("*.yaml"):
        rule = load(path)
        assert rule["origin"] == "pack:core@1"  # type: ignore[index]
        assert rule["id"] == path.stem  # type: ignore[index]


def test_init_writes_one_example_decision(repo: Path) -> None:
    fos(repo, "init")
    text = (repo / ".factory" / "DNA.md").read_text()
    assert len(re.findall(r"^## D-[0-9a-f]{6,}: ", text, flags=re.M)) == 1
    assert "\nStatus: accepted\n" in text


def test_init_names_the_acting_member_in_the_team(repo: Path) -> None:
    fos(repo, "init", "--actor", "Alice@Example.com")
    team = load(repo / ".factory" / "team.yaml")
    assert team["members"][0]["emails"] == ["Alice@Example.com"]  # type: ignore[index]
    assert team["members"][0]["roles"] == ["owner"]  # type: ignore[index]
    assert fos(repo, "validate").code == 0


def test_every_yaml_file_init_writes_names_an_existing_schema(repo: Path) -> None:
    fos(repo, "init")
    yaml_files = sorted((repo / ".factory").rglob("*.yaml"))
    assert len(yaml_files) == 5 + len(CORE_RULES)
    for path in yaml_files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = MODELINE.match(first)
        assert match is not None, f"{path} has no schema modeline"
        schema = (path.parent / match["ref"]).resolve()
        assert schema.is_file(), f"{path}: {match['ref']} does not exist"
        kind = "rule" if path.parent.name == "rules" else path.stem
        assert schema.name == f"{kind}.schema.json"


def test_init_then_validate_in_a_new_repository(repo: Path) -> None:
    assert fos(repo, "init").code == 0
    result = fos(repo, "validate")
    assert result.code == 0, result.output
    assert result.out.startswith("ok: ")


def test_init_from_a_subdirectory_creates_the_factory_at_the_top(repo: Path) -> None:
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    assert fos(sub, "init").code == 0
    assert (repo / ".factory" / "factory.yaml").is_file()
    assert not (sub / ".factory").exists()


def test_init_writes_files_and_directories_with_normal_modes(repo: Path, umask_022: None) -> None:
    fos(repo, "init")
    factory = repo / ".factory"
    assert stat.S_IMODE(factory.stat().st_mode) == 0o755
    for path in factory.rglob("*"):
        expected = 0o755 if path.is_dir() else 0o644
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_a_second_init_changes_nothing_and_says_why(factory_repo: Path) -> None:
    (factory_repo / ".factory" / "team.yaml").write_text("members: []  # edited by hand\n")
    before = snapshot(factory_repo)
    result = fos(factory_repo, "init")
    assert result.code == 0
    assert "already exists" in result.err
    assert "--force" in result.err
    assert snapshot(factory_repo) == before


def test_force_rewrites_templates_and_keeps_rules_incidents_and_ledger(factory_repo: Path) -> None:
    factory = factory_repo / ".factory"
    rule = factory / "rules" / "R-core-builder-cannot-deploy.yaml"
    rule.write_text(rule.read_text() + "# a local note\n")
    write_tree(
        factory,
        {
            "incidents/INC-abc123.md": "---\nnot even valid: [\n---\n",
            "ledger/seg-1.jsonl": '{"kept": true}\n',
            "knowledge/note.md": "---\ntitle: kept\n---\n",
        },
    )
    (factory / "factory.yaml").write_text("broken: [\n")
    kept = {
        rel: data
        for rel, data in snapshot(factory).items()
        if rel.split("/")[0] in ("rules", "incidents", "ledger", "knowledge")
    }
    result = fos(factory_repo, "init", "--force")
    assert result.code == 0, result.output
    after = snapshot(factory)
    assert {rel: after[rel] for rel in kept} == kept
    assert load(factory / "factory.yaml")["name"] == "repo"  # type: ignore[index]


def test_unknown_pack_is_a_usage_error_and_writes_nothing(repo: Path) -> None:
    before = snapshot(repo)
    result = fos(repo, "init", "--pack", "no-such-pack")
    assert result.code == 2
    assert "unknown pack no-such-pack" in result.err
    assert "available: core" in result.err
    assert snapshot(repo) == before
    assert not (repo / ".factory").exists()


def test_init_records_the_chosen_packs(repo: Path) -> None:
    assert fos(repo, "init", "--pack", "core").code == 0
    assert load(repo / ".factory" / "factory.yaml")["packs"] == ["core"]  # type: ignore[index]


def test_init_does_not_commit_or_stage_anything(repo: Path) -> None:
    fos(repo, "init")
    assert git(repo, "status", "--porcelain") == "?? .factory/"
    assert git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False) == ""


def test_unknown_pack_is_a_usage_error_even_outside_git(tmp_path: Path) -> None:
    result = fos(tmp_path, "init", "--pack", "no-such-pack")
    assert result.code == 2
    assert "unknown pack no-such-pack" in result.err
    assert list(tmp_path.iterdir()) == []


def test_a_pack_named_twice_is_recorded_once(repo: Path) -> None:
    assert fos(repo, "init", "--pack", "core", "--pack", "core").code == 0
    assert load(repo / ".factory" / "factory.yaml")["packs"] == ["core"]  # type: ignore[index]


def test_init_in_a_repository_with_a_long_name_validates(tmp_path: Path) -> None:
    repo = tmp_path / ("Project " * 20).strip()
    repo.mkdir()
    git(repo, "init", "-q")
    assert fos(repo, "init").code == 0
    name = load(repo / ".factory" / "factory.yaml")["name"]  # type: ignore[index]
    assert name.startswith("project-project-")
    assert len(name) <= 80
    assert not name.endswith("-")
    result = fos(repo, "validate")
    assert result.code == 0, result.output


@pytest.mark.parametrize("identity", ["Jane Doe", "jane", "jane doe@example.com"])
def test_init_with_a_name_for_an_email_validates(repo: Path, identity: str) -> None:
    git(repo, "config", "user.email", identity)
    assert fos(repo, "init").code == 0
    team = load(repo / ".factory" / "team.yaml")
    (email,) = team["members"][0]["emails"]  # type: ignore[index]
    assert " " not in email
    assert "@" in email
    result = fos(repo, "validate")
    assert result.code == 0, result.output


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_factory_path_that_is_a_file_is_reported(repo: Path, force: list[str]) -> None:
    (repo / ".factory").write_text("not a directory\n")
    before = snapshot(repo)
    result = fos(repo, "init", *force)
    assert result.code == 4
    assert "exists but is not a directory" in result.err
    assert snapshot(repo) == before


def test_init_racing_another_init_leaves_the_winner_alone(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_atomic = atomic.write_atomic

    def other_init_wins(path: Path, data: str | bytes) -> None:
        if not (repo / ".factory").exists():
            write_tree(repo / ".factory", {"team.yaml": "written by the other init\n"})
        write_atomic(path, data)

    monkeypatch.setattr(atomic, "write_atomic", other_init_wins)
    result = fos(repo, "init")
    assert result.code == 0, result.output
    assert "already exists" in result.err
    assert [p.name for p in (repo / ".factory").iterdir()] == ["team.yaml"]
    assert sorted(p.name for p in repo.iterdir()) == [".factory", ".git"]


def test_init_without_any_identity_still_validates(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.delenv("FOS_ACTOR", raising=False)
    assert fos(repo, "init").code == 0
    team = load(repo / ".factory" / "team.yaml")
    assert team["members"][0]["emails"] == ["owner@example.invalid"]  # type: ignore[index]
    assert fos(repo, "validate").code == 0


def test_init_prints_the_next_steps(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = Path(sys.executable).parent
    monkeypatch.setenv("PATH", os.pathsep.join(["/nonexistent", "/usr/bin", "/bin"]))
    result = fos(repo, "init")
    assert result.code == 0
    steps = result.out.split("next steps:\n", 1)[1]
    assert ".factory/team.yaml" in steps and "approver: true" in steps
    assert "git add .factory && git commit" in steps and "fos hooks install" in steps
    assert f'export PATH="{bin_dir}:$PATH"' in steps
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    (repo / "again").mkdir()
    git(repo / "again", "init", "-q")
    on_path = fos(repo / "again", "init").out.split("next steps:\n", 1)[1]
    assert f"fos is on PATH ({bin_dir / 'fos'})" in on_path and "export PATH" not in on_path


def _ledger(repo: Path) -> list[tuple[str, str]]:
    """(kind, subject) of every ledger entry, as `fos ledger log` lists them."""
    result = fos(repo, "ledger", "log", "--format", "json")
    assert result.code == 0, result.output
    return sorted((e["kind"], e["subject"]) for e in json.loads(result.out)["entries"])


FOUNDED = sorted(
    [("factory.initialized", "")] + [("rule.added", path.stem) for path in pack_files("core")]
)


def _segments(repo: Path) -> list[Path]:
    return sorted((repo / ".factory" / "ledger").glob("*.jsonl"))


@pytest.mark.parametrize("kept", [0, 3])
def test_a_founding_cut_short_is_finished_by_the_next_init(repo: Path, kept: int) -> None:
    assert fos(repo, "init").code == 0
    # killed after the rename, with KEPT of its ledger lines written
    for segment in _segments(repo):
        segment.write_bytes(b"".join(segment.read_bytes().splitlines(keepends=True)[:kept]))
    files = {k: v for k, v in snapshot(repo).items() if "/ledger/" not in k}
    result = fos(repo, "init")
    assert result.code == 0, result.output
    assert "finished the founding of" in result.out
    assert {k: v for k, v in snapshot(repo).items() if "/ledger/" not in k} == files
    assert _ledger(repo) == FOUNDED  # each entry once
    assert fos(repo, "verify").code == 0
    assert fos(repo, "validate").code == 0
    again = fos(repo, "init")
    assert "already exists" in again.err and _ledger(repo) == FOUNDED


def test_an_empty_factory_directory_is_founded(repo: Path) -> None:
    (repo / ".factory").mkdir()
    result = fos(repo, "init")
    assert result.code == 0, result.output
    assert "finished the founding of" in result.out
    assert _ledger(repo) == FOUNDED
    assert fos(repo, "validate").code == 0
    assert fos(repo, "verify").code == 0
